from __future__ import annotations

from app.answer.entities import Entities
from app.answer.followup import Turn, resolve
from tests.conftest import make_hit

CHUNKS = [
    make_hit("a", speaker="王智明", position="市工信局党组书记、局长", department="市工信局").chunk,
    make_hit("b", rank=2, speaker="夏扬", position="市发展改革委党组书记、主任", department="市发展改革委").chunk,
    make_hit("c", rank=3, speaker="", position="中原科技城党工委相关负责人", department="中原科技城党工委").chunk,
    make_hit("d", rank=4, speaker="王保来", position="市商务局党组书记、局长", department="市商务局").chunk,
]
ENTITIES = Entities.from_chunks(CHUNKS)


def test_pronouns_become_the_person_named_before() -> None:
    assert resolve("他还提到了什么？", [Turn("王智明认为要对标哪些城市？")], ENTITIES) == "王智明还提到了什么？"


def test_a_department_question_carries_the_person_its_answer_quoted() -> None:
    turn = Turn("市工信局局长认为要对标哪些城市？", speakers=("王智明",))
    assert resolve("他说要建设哪两个中心？", [turn], ENTITIES) == "王智明说要建设哪两个中心？"


def test_what_about_swaps_the_department() -> None:
    assert resolve("那商务局呢？", [Turn("发改委提出的固定资产投资目标是多少？")], ENTITIES) == "商务局提出的固定资产投资目标是多少？"


def test_plural_pronoun_becomes_the_department() -> None:
    resolved = resolve("他们还有什么新做法？", [Turn("中原科技城那边出台了什么人才政策？")], ENTITIES)
    assert resolved == "中原科技城还有什么新做法？"


def test_elliptical_question_carries_subject_and_topic() -> None:
    resolved = resolve("具体目标是多少？", [Turn("夏扬提出的固定资产投资目标是多少？")], ENTITIES)
    assert resolved.startswith("（夏扬") and "固定资产投资" in resolved and resolved.endswith("具体目标是多少？")


def test_english_pronoun_and_pinyin_name() -> None:
    assert resolve("What else did he say?", [Turn("What did Wang Zhiming say about Suzhou?")], ENTITIES) == "What else did 王智明 say?"


def test_self_contained_questions_are_left_alone() -> None:
    assert resolve("王保来说了什么？", [Turn("夏扬说了什么？")], ENTITIES) == "王保来说了什么？"
    assert resolve("他说了什么？", [], ENTITIES) == "他说了什么？"


def test_what_about_a_department_after_a_person_swaps_the_person() -> None:
    earlier = [Turn("王智明提到的数字化转型具体要做什么？")]
    assert resolve("那发改委呢？", earlier, ENTITIES) == "发改委提到的数字化转型具体要做什么？"


def test_this_aspect_points_at_the_last_answers_topic() -> None:
    quote = "第三篇《青年人才汇“蓉城”》则关注成都建设青年发展型城市、构建青年友好城市的经验做法;"
    earlier = [Turn("系列报道第三篇写的是哪个城市？", quotes=(quote,))]
    rare = {"青年": 3.0, "发展型": 2.5, "友好": 2.0, "经验": 0.5, "做法": 0.5, "关注": 0.4, "建设": 0.3, "构建": 0.3}
    resolved = resolve("郑州在这方面有什么对应的动作？", earlier, ENTITIES, lambda w: rare.get(w, 1.0))
    assert resolved.endswith("郑州在这方面有什么对应的动作？") and resolved.startswith("（")
    carried = resolved[1 : resolved.index("）")].split()
    assert "青年" in carried and len(carried) <= 4
    assert not any(w in carried for w in ("蓉城", "第三篇"))  # a title and an ordinal name things, they are not a topic
    assert resolve("郑州在这方面有什么对应的动作？", earlier, ENTITIES) == "郑州在这方面有什么对应的动作？"  # no idf, no topic


def test_what_the_last_answer_said_is_marked_for_questions_asking_beyond_it() -> None:
    from app.answer.followup import already_said

    earlier = [Turn("王智明说要对标哪些城市？", quotes=("对标苏州,我市首先要构建产业生态。",))]
    assert already_said("他还提到了什么？", earlier).quotes == earlier[0].quotes
    assert not already_said("他还提到了什么？", earlier).strict
    assert already_said("郑州在这方面有什么动作？", earlier).strict
    assert already_said("夏扬说了什么？", earlier).quotes == ()
    assert already_said("他还提到了什么？", [Turn("问题", quotes=())]).quotes == ()  # a refusal quoted nothing


def test_a_personal_pronoun_with_nobody_to_mean_is_reported() -> None:
    from app.answer.followup import unresolved_pronoun

    assert unresolved_pronoun("他说了什么？", "他说了什么？", ENTITIES) == "他"
    assert unresolved_pronoun("What did he say?", "What did he say?", ENTITIES) == "he"
    assert unresolved_pronoun("他说了什么？", "王智明说了什么？", ENTITIES) == ""  # resolved
    assert unresolved_pronoun("王智明说他要做什么？", "王智明说他要做什么？", ENTITIES) == ""  # names who
    assert unresolved_pronoun("那位市场总监叫什么？", "那位市场总监叫什么？", ENTITIES) == ""  # a description


def test_this_titled_person_is_the_one_of_the_earlier_answer_holding_that_title() -> None:
    chunks = [
        make_hit("a", speaker="周立", position="东湖区委书记", article="x1").chunk,
        make_hit("b", rank=2, speaker="林海", position="东湖区旅游协会会长", article="x1").chunk,
        make_hit("c", rank=3, speaker="韩梅", position="西山市商会会长", article="x2").chunk,
    ]
    entities = Entities.from_chunks(chunks)
    earlier = [Turn("推介会上介绍旅游资源的是谁？", speakers=("周立",))]
    # Two 会长 in the articles; the one from the article the earlier answer quoted is meant.
    assert resolve("这位会长说有几个景区？", earlier, entities) == "林海会长说有几个景区？"


def test_an_elliptical_follow_up_carries_the_earlier_question_not_whom_its_answer_quoted() -> None:
    earlier = [Turn("东湖区推进老旧小区改造有哪几种模式？", speakers=("王智明",))]
    resolved = resolve("目前签约了多少？", earlier, ENTITIES)
    assert resolved.endswith("目前签约了多少？") and "王智明" not in resolved and "老旧" in resolved


def test_a_pointer_beside_its_own_topic_does_not_carry_the_last_quote() -> None:
    earlier = [Turn("东湖区固定资产投资情况怎么样？", quotes=("全区固定资产投资同比下降1.3%，分行业看工业投资继续保持增长。",))]
    resolved = resolve("工业投资这方面呢？", earlier, ENTITIES, lambda w: 1.0)
    assert "下降" not in resolved and "工业投资这方面呢？" in resolved


def test_an_elliptical_question_also_carries_what_the_last_answer_quoted() -> None:
    # "目前签约了多少？" after the second of two models was quoted: it asks about that one.
    turn = Turn("第二种模式涉及多大面积？", quotes=("另一种模式是成套改造。涉及15万方，将通过拆除重建、原址改建等方式提升品质。",))
    rare = {"成套": 5.0, "改造": 3.0, "拆除": 2.5, "原址": 2.5}

    def idf(word: str) -> float:
        return rare.get(word, 0.5)

    resolved = resolve("目前签约了多少？", [turn], ENTITIES, idf)
    assert resolved == "（成套 改造）目前签约了多少？"
    # Asking the same of something else, or naming its own topic, is not about the last quote.
    assert "成套" not in resolve("那商务局呢？", [turn], ENTITIES, idf)
    assert "成套" not in resolve("那未来产业重点布局哪些？", [turn], ENTITIES, idf)
    assert "成套" not in resolve("还签了哪些？", [turn], ENTITIES, idf)  # asks for something else


def test_an_ordinal_points_at_that_item_of_the_last_answer() -> None:
    turn = Turn("东湖区有哪几种更新模式？", quotes=("其中一种模式是整体更新。涉及11万方旧区。", "另一种模式是成套改造。涉及15万方住房。"))
    rare = {"整体": 3.0, "更新": 3.0, "旧区": 4.0, "成套": 3.0, "改造": 3.0, "住房": 4.0}

    def idf(word: str) -> float:
        return rare.get(word, 0.5)

    second = resolve("第二种模式涉及多大面积？", [turn], ENTITIES, idf)
    assert "成套" in second and "整体" not in second
    assert "整体" in resolve("前者涉及多大面积？", [turn], ENTITIES, idf)
    assert resolve("第三种模式呢？", [turn], ENTITIES, idf).startswith("第三种")  # no third quote: nothing to point at


def test_an_elliptical_follow_up_carries_what_the_quote_opens_with_not_its_rarest_detail() -> None:
    turn = Turn("第二种模式涉及多大面积？", quotes=("另一种模式是成套改造。涉及15万方，将通过拆除重建、原址改建等方式提升品质。",))
    rare = {"成套": 2.0, "改造": 2.0, "拆除": 5.0, "原址": 5.0}
    resolved = resolve("目前签约了多少？", [turn], ENTITIES, lambda w: rare.get(w, 0.5))
    assert resolved == "（成套 改造）目前签约了多少？"
