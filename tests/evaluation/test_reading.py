from __future__ import annotations

from app.evaluation.devsets import ReadingItem, run_reading
from app.schema import Answer, Citation
from tests.conftest import make_hit


def _quoting(quote: str):  # type: ignore[no-untyped-def]
    def answer(question: str, passages: list[str]) -> Answer:
        hit = make_hit(passages[0])
        start = passages[0].find(quote)
        return Answer(question=question, text=f"“{quote}”[1]", refused=False,
                      citations=(Citation(1, hit.chunk, quote, start, start + len(quote)),), hits=(hit,))

    return answer


def test_a_gold_span_is_held_whatever_its_punctuation_as_cmrc_scores_it() -> None:
    context = "某镇下辖8个村、2个社区；镇政府驻某村。"
    item = ReadingItem("q1", "某镇管辖下有几个村和社区？", context, ("8个村、2个社区。",))
    result = run_reading(_quoting("辖8个村、2个社区；"), [item])
    assert result["accuracy"] == 1.0 and result["accuracy_with_punctuation"] == 0.0
    assert run_reading(_quoting("镇政府驻某村。"), [item])["accuracy"] == 0.0
