"""Labels from whole answers, for `biaogan fit-answerer`.

A candidate sentence holding the answer is not enough for the answer it leads to be right: the answer
must also hold every key fact (the lead and the quotes added to it), and pass the checks that refuse
it (a date question led by a sentence without a date is refused). So each candidate is judged by the
answer it leads: the answer is composed as the answerer composes it, with that candidate ranked
first, and judged as the evaluation judges it. The fit then learns which candidates lead to right
answers, which is what end-to-end accuracy counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.answer.scorer import SentenceModel

# How far above its ties the candidate to lead is put: enough to rank it first after the score is
# rounded to 9 places, too little to change which quotes are close to it.
LEAD_MARGIN = 1e-6


@dataclass(frozen=True)
class Led(SentenceModel):
    """A model that scores as its weights do, but ranks first the candidates whose features are `lead`
    (the candidate to lead with: a candidate is known to the scorer by its row of features alone).
    A candidate leads in one of two ways (app.answer.quotes.lead). Scoring best: the candidates that
    outscore it here go last, below every other, as with a model that put it first they would not be
    there to join it as close siblings (those it ties with or outscores would). Or holding what is
    asked (`typed`), ahead of better-scoring ones: those stay, to join it as they would."""

    lead: np.ndarray | None = None
    typed: bool = False

    def score(self, rows: np.ndarray) -> np.ndarray:
        values = np.asarray(super().score(rows), dtype=np.float64)
        if self.lead is None or not len(values):
            return values
        match = np.all(np.abs(rows - self.lead) <= 1e-12, axis=1)
        if not match.any():
            return values  # another question's candidates (one part of a question that asks two things)
        own = values[match].max()
        out = values.copy()
        if self.typed:
            out[match] = values.max() + LEAD_MARGIN
            return out
        out[(values > own) & ~match] = values.min() - 1.0
        out[match] = own + LEAD_MARGIN
        return out


def _squash(text: str) -> str:
    return "".join(text.split()).lower()


def held(text: str, facts: list[list[str]]) -> float:
    """Share of the key facts the text holds (each fact: any of its alternatives), whitespace and case ignored."""
    plain = _squash(text)
    return sum(any(_squash(option) in plain for option in fact) for fact in facts) / len(facts) if facts else 0.0


def holds_all(text: str, facts: list[list[str]]) -> bool:
    """Whether the text holds every key fact."""
    return bool(facts) and held(text, facts) == 1.0


def whole_answer_labels(
    question: str, hits: list, corpus: Any, similarity: Any, facts: list[list[str]],  # type: ignore[type-arg]
    rows: np.ndarray, base: SentenceModel, on_quotes: bool, typed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate (a row of features), whether the answer it leads holds every key fact and is not
    refused: in its quotes (a reader set, judged on what it quotes) or its whole text (a question set,
    judged on the answer as shown). The other quotes are ranked by `base`. Two labels: leading by
    scoring best, and (for the candidates marked `typed`, else the same) leading by holding what is
    asked (see Led)."""
    from app.answer.compose import compose

    judged: dict[tuple[bytes, bool], float] = {}

    def right(row: np.ndarray, by_type: bool) -> float:
        key = (row.tobytes(), by_type)
        if key not in judged:
            model = Led(base.names, base.weights, base.bias, {}, row, by_type)
            answer = compose(question, hits, corpus, similarity, model=model)
            text = "".join(c.quote for c in answer.citations) if on_quotes else answer.text
            judged[key] = float(not answer.refused and holds_all(text, facts))
        return judged[key]

    best = np.array([right(row, False) for row in rows])
    marked = typed if typed is not None else np.zeros(len(rows), dtype=bool)
    by_type = np.array([right(row, True) if mark else label for row, mark, label in zip(rows, marked, best)])
    return best, by_type
