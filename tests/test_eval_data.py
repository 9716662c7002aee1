"""The question set is usable: every evidence quote occurs in the cleaned articles."""

from __future__ import annotations

from collections import Counter

from app.evaluate import load_questions
from tests.conftest import ROOT

DATASET = ROOT / "eval" / "seeds_qa.jsonl"
KINDS = {"fact", "number", "list", "who", "paraphrase", "cross_section", "english", "followup", "unanswerable"}


def test_every_evidence_quote_is_in_a_cleaned_article(interviews, series) -> None:  # type: ignore[no-untyped-def]
    texts = [interviews.text, series.text]
    missing = [(q.id, e) for q in load_questions(DATASET) for e in q.evidence if not any(e in t for t in texts)]
    assert missing == []


def test_question_set_shape() -> None:
    questions = load_questions(DATASET)
    assert len(questions) >= 80 and len({q.id for q in questions}) == len(questions)
    kinds = Counter(q.kind for q in questions)
    assert set(kinds) == KINDS and kinds["unanswerable"] >= 10
    for q in questions:
        assert bool(q.evidence) == bool(q.key_facts) == (q.kind != "unanswerable"), q.id
        if q.kind == "followup":
            assert len(q.turns) >= 2, q.id


def test_key_facts_are_supported_by_the_articles(interviews, series) -> None:  # type: ignore[no-untyped-def]
    text = interviews.text + series.text
    for q in load_questions(DATASET):
        for fact in q.key_facts:
            options = fact if isinstance(fact, list) else [fact]
            assert any(option in text for option in options), (q.id, fact)
