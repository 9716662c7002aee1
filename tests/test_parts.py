"""A question that asks several things is split into the questions it asks, by grammar alone."""

from __future__ import annotations

from app.parts import coordinated, per_subject, sub_questions


def test_asking_phrases_joined_by_a_pause_mark_are_asked_one_by_one() -> None:
    parts = sub_questions("2023年东湖科技展安排在什么时间、什么地点？")
    assert parts[0] == "2023年东湖科技展安排在什么时间？"
    assert parts[1].endswith("什么地点？") and "东湖" in parts[1]  # the later part keeps the subject


def test_a_comma_splits_only_between_phrases_that_end_in_what_they_ask() -> None:
    assert len(sub_questions("西山区办了多少年，是第几届？")) == 2
    # 几位 here counts people; the question asks one thing.
    assert sub_questions("几位受访者都谈到了街区建设，分别怎么说的？") == ["几位受访者都谈到了街区建设，分别怎么说的？"]
    assert sub_questions("截至2022年底，全市有多少家养老机构？") == ["截至2022年底，全市有多少家养老机构？"]
    assert sub_questions("东湖区今年的投资目标是多少？请说明。") == ["东湖区今年的投资目标是多少？请说明。"]


def test_later_sentences_carry_the_first_sentences_words() -> None:
    parts = sub_questions("东湖区今年争取哪个项目落地？项目在哪座城市？")
    assert parts == ["东湖区今年争取哪个项目落地？", "（东湖区 今年 争取 项目 落地）项目在哪座城市？"]


def test_distributed_subjects_each_get_their_own_question() -> None:
    assert coordinated("发布会上，市长和副市长分别介绍了哪些活动？") == [
        "发布会上，市长介绍了哪些活动？", "发布会上，副市长介绍了哪些活动？",
    ]
    # The time before the first subject and what follows the last subject's 的 are shared.
    assert coordinated("8月东湖区和西山区各签了多少个项目？") == ["8月东湖区签了多少个项目？", "8月西山区签了多少个项目？"]
    assert coordinated("甲市和乙市的GDP分别是多少？") == ["甲市的GDP是多少？", "乙市的GDP是多少？"]
    # A subject that follows a comma ("…增速，和…增速，各是多少").
    assert coordinated("甲省上半年投资增速，和乙省全年消费增速，各是多少？") == [
        "甲省上半年投资增速是多少？", "乙省全年消费增速是多少？",
    ]


def test_words_that_only_look_like_coordination_are_left_alone() -> None:
    assert coordinated("各地如何落实稳就业政策？") == ["各地如何落实稳就业政策？"]  # 各地 is "every place"
    assert coordinated("在恢复和扩大消费的会上，谁介绍了举措？") == ["在恢复和扩大消费的会上，谁介绍了举措？"]  # no 各 / 分别
    assert per_subject("东湖区的投资目标是多少？") == []


def test_per_subject_reads_every_sentence() -> None:
    assert per_subject("青山县和绿水县各办了什么节？青山县那个办了多少年？") == ["青山县办了什么节？", "绿水县办了什么节？"]


def test_empty_and_punctuation_only_questions_are_returned_as_they_are() -> None:
    for question in ("", "？", "  ", "，？", "、", "各", "和各"):
        assert sub_questions(question) == [question]
        assert per_subject(question) == []
