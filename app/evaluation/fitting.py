"""`biaogan fit-answerer`: fit the sentence model (app/answer/scorer.py) on every development set.

Each answerable question of each set gives its candidate sentences (from the passages retrieved for
it, or the passages a reader set hands over), their features, and a label: whether the sentence
holds at least half of the question's key facts (CMRC and RGB: a gold answer). A ranking model
(softmax over a question's candidates), each set weighing the same, starting from and penalised
for leaving the prior weights, is fitted with leave-one-set-out cross-validation
(trained on the other sets, scored on the held-out one), then on all sets; the weights and the
cross-validated figures are written to a model file, which `biaogan eval` can then judge end to end
before it replaces app/data/answer_model.json.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
from tqdm import tqdm

from app.answer.candidates import features
from app.answer.corpus import LocalCorpus
from app.answer.question import analyse
from app.answer.scorer import FEATURES, SentenceModel

log = logging.getLogger(__name__)

# Features the fit leaves at the prior's weight relative to support's. The labels reward any
# candidate that holds the answer, so a pair of sentences or a longer one is "right" more often
# than the one sentence that answers: fitted freely, these weights turned quotes into pairs (CMRC
# median 65 -> 109 characters). How long a quote should be is the product's choice, not the data's.
FROZEN = ("pair", "length")
L2 = 1.0  # penalty on leaving the prior's weights, per question of training data (chosen by --l2 and CV)


@dataclass(frozen=True)
class Group:
    """One question's candidates: features and labels."""

    dataset: str
    qid: str
    rows: np.ndarray
    labels: np.ndarray


def _squash(text: str) -> str:
    return "".join(text.split()).lower()


def held(text: str, facts: list[list[str]]) -> float:
    """Share of the key facts the text holds (each fact: any of its alternatives)."""
    plain = _squash(text)
    return sum(any(_squash(option) in plain for option in fact) for fact in facts) / len(facts) if facts else 0.0


def group_of(dataset: str, qid: str, question: str, hits: list, corpus: Any, similarity: Any, facts: list[list[str]]) -> Group | None:  # type: ignore[type-arg]
    """Candidates of one question; None when none of them holds the answer (nothing to learn from)."""
    info = analyse(question)
    info = replace(info, common=frozenset(t for t in info.terms if corpus.common(t)))
    spans, _, rows = features(info, hits, corpus.idf, similarity)
    if not spans:
        return None
    # A pair of sentences that holds the answer counts as holding it, as it does for a reader. (Also
    # requiring that no shorter candidate inside it holds as much was tried: CMRC quotes 62 rather
    # than 109 characters at the median, but accuracy fell on every set, CMRC 0.774 -> 0.675.)
    labels = np.array([float(held(hit.chunk.text[a:b], facts) >= 0.5) for hit, a, b in spans])
    if not labels.any():
        return None
    return Group(dataset, qid, rows, labels)


def _set_shares(groups: list[Group]) -> dict[str, float]:
    """Every set weighs the same in all (CMRC's thousand questions must not decide alone how news
    questions are answered)."""
    per_set: dict[str, int] = {}
    for g in groups:
        per_set[g.dataset] = per_set.get(g.dataset, 0) + 1
    return {name: len(groups) / (len(per_set) * count) for name, count in per_set.items()}


def fit(groups: list[Group], prior: SentenceModel, l2: float = L2) -> SentenceModel:
    """Weights that rank each question's answer-holding sentences first: a softmax over its
    candidates, every set weighing the same, penalised for leaving the prior weights: w = prior +
    delta, with l2 on delta; the FROZEN features keep the prior's ratio to the support weight."""
    from scipy.optimize import minimize

    share = _set_shares(groups)
    n = len(groups)
    base = prior.weights
    free = np.array([name not in FROZEN for name in FEATURES], dtype=np.float64)
    # The frozen weights keep their ratio to the support weight, whatever scale the fit gives it.
    anchor = FEATURES.index("support")
    tie = np.where(free > 0, 0.0, base / base[anchor]) if base[anchor] else np.zeros(len(base))

    def weights(delta: np.ndarray) -> np.ndarray:
        return (base + delta) * free + tie * (base[anchor] + delta[anchor])

    def ranking_loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        delta = theta * free
        w = weights(delta)
        value, grad_w = l2 * float(delta @ delta) / n, np.zeros(len(base))
        for g in groups:
            z = g.rows @ w
            z = z - z.max()
            e = np.exp(z)
            pos = g.labels > 0
            p_all, p_pos = e / e.sum(), e * pos / (e * pos).sum()
            value -= share[g.dataset] * float(np.log((e * pos).sum() / e.sum())) / n
            grad_w -= share[g.dataset] * (g.rows.T @ (p_pos - p_all)) / n
        grad = grad_w * free
        grad[anchor] += float(grad_w @ tie)
        return value, (grad + 2 * l2 * delta / n) * free

    w = weights(minimize(ranking_loss, np.zeros(len(base)), jac=True, method="L-BFGS-B").x * free)
    # The ranking fixes the weights up to scale. Scale them so that a question's best candidate
    # scores 1 at the median, as a sentence covering the whole question does: the rules that
    # compare a further quote with the best one (SIBLING_RATIO) read scores on that scale.
    best = np.median([float((g.rows @ w).max()) for g in groups])
    return SentenceModel(FEATURES, w / best if best > 0 else w, 0.0, {})


def top1(model: SentenceModel, groups: list[Group]) -> float:
    """Share of questions whose best-scored candidate holds the answer."""
    if not groups:
        return 0.0
    return sum(float(g.labels[int(np.argmax(model.score(g.rows)))] > 0) for g in groups) / len(groups)


def cross_validate(groups: list[Group], prior: SentenceModel, l2: float = L2) -> dict[str, dict[str, float]]:
    """Per set: top-1 of a model fitted on the other sets, beside the prior model."""
    figures = {}
    for name in sorted({g.dataset for g in groups}):
        held = [g for g in groups if g.dataset == name]
        model = fit([g for g in groups if g.dataset != name], prior, l2)
        figures[name] = {"questions": len(held), "top1_cv": round(top1(model, held), 4), "top1_prior": round(top1(prior, held), 4)}
    return figures


def question_groups(pipeline: Any, dataset: str, questions: list, progress: bool) -> list[Group]:  # type: ignore[type-arg]
    """Groups of a question set answered over a pipeline's index (single-turn answerable questions)."""
    out = []
    for q in tqdm(questions, desc=dataset, disable=not progress):
        if q.kind in ("unanswerable", "followup") or not q.key_facts:
            continue
        facts = [list(f) if isinstance(f, (list, tuple)) else [f] for f in q.key_facts]
        hits = pipeline.evidence(q.question)
        group = group_of(dataset, q.id, q.question, hits, pipeline.corpus, pipeline.similarity, facts)
        if group is not None:
            out.append(group)
    return out


def reading_groups(dataset: str, items: list[tuple[str, str, list[str], list[list[str]]]], similarity: Callable, progress: bool) -> list[Group]:  # type: ignore[type-arg]
    """Groups of a reader set: (id, question, passages, facts) with the passages handed over."""
    from app.evaluation.rgb import passages_as_hits

    out = []
    for qid, question, passages, facts in tqdm(items, desc=dataset, disable=not progress):
        group = group_of(dataset, qid, question, passages_as_hits(passages), LocalCorpus(passages), similarity, facts)
        if group is not None:
            out.append(group)
    return out


def rgb_items(path: Any, limit: int, seed: int = 0) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """RGB questions with 5 passages at noise 0.4, as its reader protocol gives them."""
    from app.evaluation.rgb import load_rgb, reader_passages

    items = load_rgb(path)[:limit]
    out = []
    for item in items:
        passages = reader_passages(item, 0.4, 5, rng=random.Random(f"{seed}:{item.id}"))
        facts = [list(a) if isinstance(a, tuple) else [a] for a in item.answer]
        out.append((item.id, item.query, passages, facts))
    return out
