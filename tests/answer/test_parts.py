"""A question that asks several things is split into the questions it asks, by grammar alone."""

from __future__ import annotations

from app.answer.parts import coordinated, per_subject, sub_questions


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


ARTICLE_A = """2024-08-10

东湖网讯（记者 林海） 8月7日，东湖区举办都市工业项目签约仪式，现场签约29个项目，总投资164亿元。东湖区工业和信息化局副局长周立说，此次签约项目技术含量高、带动能力强。东湖区还设立规模3亿元的天使基金。
"""
ARTICLE_B = """2024-08-18

8月16日下午，西山区举行夏季企业分享会暨固投项目集中签约活动，53个项目集中签约，投资总额达204.75亿元。西山区区长韩梅表示，西山区上半年招商促投成效显著，新增企业2.1万户。会上，西山区投资环境评估报告正式发布。
"""
ARTICLE_C = """2024-07-21

青山航空展新闻发布会21日在北京举行。谈及空中表演，空军新闻发言人谢鹏介绍说，活动期间，3支飞行表演队将炫舞蓝天。青山市委常委、常务副市长马延峰表示，青山市将于7月24日至26日晚连续举办无人机集群表演。发布会还介绍了航空展的交通安排。
"""


def _pipeline(tmp_path):  # type: ignore[no-untyped-def]
    from app.config import Settings
    from app.pipeline import load_pipeline

    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in (("a.txt", ARTICLE_A), ("b.txt", ARTICLE_B), ("c.txt", ARTICLE_C)):
        (folder / name).write_text(text, encoding="utf-8")
    settings = Settings(seeds_dir=folder, index_dir=tmp_path / "index", embed_model="hash:256", cache_dir=tmp_path / "cache")
    return load_pipeline(settings)


def test_each_side_of_a_distributed_question_is_retrieved_and_quoted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pipeline = _pipeline(tmp_path)
    answer = pipeline.ask("8月东湖区和西山区各办了一场项目签约，各签了多少个项目？", k=1)
    assert not answer.refused
    assert "29个项目" in answer.text and "53个项目" in answer.text
    assert not answer.citations[0].quote.startswith("东湖网讯")  # the dateline is not quoted as the news


def test_two_posts_asked_about_together_are_both_answered(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pipeline = _pipeline(tmp_path)
    answer = pipeline.ask("青山航空展发布会上，空军新闻发言人和青山市常务副市长分别介绍了哪些表演？")
    # Each post's holder is known, so both are named (never just one of the two).
    assert not answer.refused and (answer.resolved_question or "").startswith("（谢鹏、马延峰）")
    assert "飞行表演队" in answer.text and "无人机集群表演" in answer.text
