"""Where a quote ends: through the list it announces, into the sentence it points ahead to, over the
next sentence of a description, back to the cause of a why-question; items counted in turn."""

from __future__ import annotations

from app.answer.compose import compose
from app.answer.corpus import LocalCorpus
from app.answer.points import marks
from tests.conftest import make_hit


def quoted(question: str, text: str) -> str:
    answer = compose(question, [make_hit(text)], LocalCorpus([text]))
    assert not answer.refused, answer.text
    return "".join(c.quote for c in answer.citations)


def test_a_quote_announcing_a_counted_list_runs_on_to_its_last_point() -> None:
    text = ("该制度始于清代。其特点主要有以下三点：第一，官民并用。既设官吏，又用乡老。第二，教化为先。"
            "重在劝导。第三，层层负责，形成了严密的体系。该制度后来废止。")
    quote = quoted("该制度的特点是什么？", text)
    assert "其特点主要有以下三点：第一" in quote and quote.endswith("形成了严密的体系。")
    text = "该组织的职能有四个方面：一是教化乡民；二是管理户籍；三是维护治安；四是推荐人才。该组织后来瓦解。"
    assert quoted("该组织的职能有哪些？", text).endswith("四是推荐人才。")


def test_a_quote_pointing_ahead_takes_the_sentence_after_it() -> None:
    text = "三方协商，是指三方在同一时期内，形成了类似以下的关系。如甲方出资，乙方出地，丙方经营等。此后各方分成。"
    assert "丙方经营等" in quoted("什么是三方协商？", text)


def test_items_counted_in_turn_answer_a_which_two_question() -> None:
    assert [m[:2] for m in marks("该集团分成两家公司：一家名为甲公司，做食品；另一家名为乙公司。")] == [("一家", 1), ("一家", 2)]
    assert [m[:2] for m in marks("由两位首领掌管，一个是长子，一个是叔父。")] == [("一个", 1), ("一个", 2)]
    text = "该集团成立于1950年。2012年，该集团拆分成两家公司：一家名为甲食品公司，主营面包；另一家名为乙饮料公司，主营咖啡。"
    quote = quoted("该集团在2012年拆分成哪两家公司？", text)
    assert "甲食品公司" in quote and "乙饮料公司" in quote


def test_a_description_takes_the_sentence_after_the_best_quote() -> None:
    text = "青鳞鱼是一种海鱼。青鳞鱼的特征是体侧扁，背部青色。其尾鳍深叉。多生活在近海。"
    quote = quoted("青鳞鱼有哪些特征？", text)
    assert "体侧扁" in quote and "其尾鳍深叉。" in quote
    assert "其尾鳍深叉" not in quoted("青鳞鱼的背部是什么颜色？", text)  # not a description: one sentence


def test_a_why_question_answered_by_what_happened_takes_the_cause_told_before_it() -> None:
    text = "某王后早年随王出征。途经某桥，新王索要宝物不得，派人当众羞辱她。降居偏宫。此后她再未回朝。"
    quote = quoted("某王后为什么被降居偏宫？", text)
    assert quote.startswith("途经某桥") and quote.endswith("降居偏宫。")
