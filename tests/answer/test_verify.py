from __future__ import annotations

from dataclasses import replace

from app.answer.verify import checked, claims, problems, uncited_sentences
from app.schema import Answer, Citation
from tests.conftest import make_hit

PASSAGE = "力争全市固定资产投资突破7000亿元。工业投资达到1500亿元。"


def answer(text: str, quote: str = "力争全市固定资产投资突破7000亿元。", start: int = 0) -> Answer:
    hit = make_hit(PASSAGE)
    citation = Citation(1, hit.chunk, quote, start, start + len(quote))
    return Answer(question="q", text=text, refused=False, citations=(citation,), hits=(hit,))


def test_a_grounded_answer_passes() -> None:
    assert problems(answer("夏扬表示：“力争全市固定资产投资突破7000亿元。”[1]")) == []


def test_each_kind_of_problem_is_reported() -> None:
    assert any("[2] refers to no listed source" in p for p in problems(answer("投资突破7000亿元[2]")))
    assert any("not verbatim" in p for p in problems(answer("x[1]", quote="力争投资突破7000亿元。")))
    assert any("figure 9000" in p for p in problems(answer("投资突破9000亿元[1]")))
    assert any("no citation" in p for p in problems(answer("投资突破7000亿元[1]。另外还要加强合作。")))


def test_quoted_sentences_count_as_one_claim() -> None:
    text = "他表示：“对标苏州。聚焦网络安全。”[1]\n要对标宁波[2]。还要加强合作。"
    assert claims(text)[0] == "他表示：“对标苏州。聚焦网络安全。”[1]"
    assert uncited_sentences(text) == ["还要加强合作。"]


def test_failed_checks_are_visible_notices() -> None:
    bad = checked(answer("投资突破9000亿元[1]"))
    assert bad.notices and bad.notices[0].startswith("未通过核验")
    assert checked(answer("“力争全市固定资产投资突破7000亿元。”[1]")).notices == ()


def test_a_refusal_may_repeat_figures_of_the_question() -> None:
    refusal = replace(answer("文章中没有找到关于“2022年GDP”的信息。\n可能相关：\n[1] 力争全市固定资产投资突破7000亿元。"), refused=True)
    assert problems(refusal) == []
