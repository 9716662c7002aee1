"""Features of candidate quotes that the sentence model can weigh (app.answer.candidates.features)."""

from __future__ import annotations

from app.answer.candidates import features
from app.answer.question import analyse
from app.answer.scorer import FEATURES
from tests.conftest import make_hit


def _column(rows, name: str) -> list[float]:  # type: ignore[no-untyped-def]
    return [float(v) for v in rows[:, FEATURES.index(name)]]


def test_a_quote_holding_the_place_and_period_a_question_pins_down_says_so() -> None:
    info = analyse("河西区上半年进出口总额是多少？")
    assert info.places and info.periods
    hits = [
        make_hit("河西区上半年进出口总额达120亿元。", rank=1),
        make_hit("全市全年进出口总额达800亿元。", rank=2, article="a2"),
    ]
    spans, _, rows = features(info, hits, lambda term: 1.0)
    by_text = {hit.chunk.text[a:b]: i for i, (hit, a, b) in enumerate(spans)}
    held, other = by_text["河西区上半年进出口总额达120亿元。"], by_text["全市全年进出口总额达800亿元。"]
    assert _column(rows, "places")[held] == 1.0 and _column(rows, "places")[other] == 0.0
    assert _column(rows, "periods")[held] == 1.0 and _column(rows, "periods")[other] == 0.0


def test_a_quote_whose_speaker_the_question_names_says_so() -> None:
    info = analyse("王刚对产业招商说了什么？")
    assert info.people
    hits = [
        make_hit("产业招商要聚焦链主企业。", rank=1, speaker="王刚", position="市商务局局长"),
        make_hit("产业招商要突出服务。", rank=2, speaker="李红", position="市工信局局长", article="a2"),
    ]
    spans, _, rows = features(info, hits, lambda term: 1.0)
    named = {hit.chunk.speaker: value for (hit, _, _), value in zip(spans, _column(rows, "speaker_named"))}
    assert named == {"王刚": 1.0, "李红": 0.0}


def test_a_place_and_period_count_as_held_however_texts_write_them() -> None:
    # "河西区…8月份" in the question; the text says "河西" and "8月".
    info = analyse("河西区8月份进出口总额是多少？")
    assert info.places and info.periods
    spans, _, rows = features(info, [make_hit("河西8月进出口总额达12亿元。")], lambda term: 1.0)
    assert _column(rows, "places") == [1.0] * len(spans) and _column(rows, "periods") == [1.0] * len(spans)
