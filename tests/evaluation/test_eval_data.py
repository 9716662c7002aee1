"""The question set is usable: every evidence quote occurs in the cleaned articles."""

from __future__ import annotations

from collections import Counter

import pytest

from app.evaluation.metrics import load_questions
from tests.conftest import ROOT

DATASETS = {"seeds": (ROOT / "eval" / "seeds_qa.jsonl", 80, 10), "holdout": (ROOT / "eval" / "holdout_qa.jsonl", 50, 6)}
SETS = pytest.mark.parametrize("name", sorted(DATASETS))
KINDS = {"fact", "number", "list", "who", "paraphrase", "cross_section", "english", "followup", "unanswerable"}


@SETS
def test_every_evidence_quote_is_in_a_cleaned_article(interviews, series, name: str) -> None:  # type: ignore[no-untyped-def]
    texts = [interviews.text, series.text]
    missing = [(q.id, e) for q in load_questions(DATASETS[name][0]) for e in q.evidence if not any(e in t for t in texts)]
    assert missing == []


@SETS
def test_question_set_shape(name: str) -> None:
    path, size, unanswerable = DATASETS[name]
    questions = load_questions(path)
    assert len(questions) >= size and len({q.id for q in questions}) == len(questions)
    kinds = Counter(q.kind for q in questions)
    assert set(kinds) == KINDS and kinds["unanswerable"] >= unanswerable
    for q in questions:
        assert bool(q.evidence) == bool(q.key_facts) == (q.kind != "unanswerable"), q.id
        if q.kind == "followup":
            assert len(q.turns) >= 2, q.id


@SETS
def test_key_facts_are_supported_by_the_articles(interviews, series, name: str) -> None:  # type: ignore[no-untyped-def]
    text = interviews.text + series.text
    for q in load_questions(DATASETS[name][0]):
        for fact in q.key_facts:
            options = fact if isinstance(fact, list) else [fact]
            assert any(option in text for option in options), (q.id, fact)
