"""`biaogan fit-answerer`: fit the sentence model (app/answer/scorer.py) on every development set.

Each answerable question of each set gives its candidate sentences (from the passages retrieved for
it, or the passages a reader set hands over), their features, and a label for each: whether the
answer it leads is right, composed as the answerer composes it and judged as the evaluation judges
it (app/evaluation/labels.py; or, with --labels quote, whether the sentence itself holds at least
half of the key facts). A quote that is a question is never labelled right. The weights are fitted
by coordinate ascent on top-1 (the share of questions whose lead quote, picked as the answerer picks
it, is labelled right; each set weighing the same), from the prior weights (optionally averaged over
bootstrap samples), with leave-one-set-out cross-validation (trained on the other sets, scored on
the held-out one), then on all sets; app/evaluation/fit_run.py relabels with the fitted model and
refits until a fit no longer beats the model that ranked its labels. The weights and the cross-validated figures are written to a
model file, which `biaogan eval` can then judge end to end before it replaces
app/data/answer_model.json.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from tqdm import tqdm

from app.answer.candidates import MAX_TIED, Sentence, features
from app.answer.compose import analysed
from app.answer.corpus import LocalCorpus
from app.answer.quotes import SIBLING_RATIO, leads_by_type
from app.answer.scorer import FEATURES, SentenceModel
from app.evaluation.labels import held, whole_answer_labels

log = logging.getLogger(__name__)

# Features the fit leaves at the prior's weight relative to support's: the product's choices, not
# the data's. The labels reward any candidate that holds the answer, so a pair of sentences or a
# longer one is "right" more often than the one sentence that answers: fitted freely, these weights
# turned quotes into pairs (CMRC median 65 -> 109 characters); how long a quote should be is the
# product's choice. Column-interleaved OCR repeats are rare in the development sets, so the data
# cannot say how much to shun them; the product never quotes them while a clean sentence fits.
FROZEN = ("pair", "length", "garbled")


@dataclass(frozen=True)
class Group:
    """One question's candidates: features and labels."""

    dataset: str
    qid: str
    rows: np.ndarray
    labels: np.ndarray
    # The question's cosine with each candidate, which the answerer uses to break ties for best
    # (app.answer.candidates.by_meaning); None for an English question, whose ties it leaves alone.
    cosines: np.ndarray | None = None
    # Which candidates hold what the question asks for, as app.answer.quotes.lead prefers them, and
    # whether it leads with the best of them whatever outscores it (a figure question).
    typed: np.ndarray | None = None
    typed_first: bool = False
    # Labels when a candidate leads for holding what is asked, ahead of better-scoring candidates,
    # which may then join it (app.evaluation.labels.Led); None: as `labels`.
    typed_labels: np.ndarray | None = None


def group_of(
    dataset: str, qid: str, question: str, hits: list, corpus: Any, similarity: Any, facts: list[list[str]],  # type: ignore[type-arg]
    whole: SentenceModel | None = None, on_quotes: bool = False,
) -> Group | None:
    """Candidates of one question; None when none of them holds the answer (nothing to learn from).
    With `whole`, a candidate's label is whether the answer it leads is right (app.evaluation.labels;
    the other quotes ranked by `whole`); otherwise whether it holds half the key facts itself."""
    info = analysed(question, corpus, False)  # the question as the answerer reads it over this corpus
    spans, _, rows = features(info, hits, corpus.idf, similarity)
    if not spans:
        return None
    # A pair of sentences that holds the answer counts as holding it, as it does for a reader. (Also
    # requiring that no shorter candidate inside it holds as much was tried: CMRC quotes 62 rather
    # than 109 characters at the median, but accuracy fell on every set, CMRC 0.774 -> 0.675.)
    texts = [hit.chunk.text[a:b] for hit, a, b in spans]
    # A question holds no answer, though it may restate every fact asked about ("网上所说的…是真实的吗？").
    asks = rows[:, FEATURES.index("asks")] > 0
    typed = np.array([leads_by_type(info, Sentence(hit, a, b, 0.0, 0.0)) for hit, a, b in spans], dtype=bool)
    if whole is not None:
        labels, typed_labels = whole_answer_labels(question, hits, corpus, similarity, facts, rows, whole, on_quotes, typed)
    else:
        labels = typed_labels = np.array([float(held(text, facts) >= 0.5) for text in texts])
    labels, typed_labels = labels * ~asks, typed_labels * ~asks
    if not labels.any() and not typed_labels.any():
        return None
    cosines = None if info.english or similarity is None else np.asarray(similarity(info.text, texts), dtype=np.float64)
    return Group(dataset, qid, rows, labels, cosines, typed, info.kind == "number", typed_labels)


# Steps the coordinate ascent tries on each weight, both ways (the prior's weights are round numbers
# on the scale of support, 1 for a sentence covering the whole question).
STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
MIN_GAIN = 0.0  # a step is taken only when it raises top-1 by more than this (chosen by --min-gain and CV)
ROUNDS = 20
# Bootstrap samples whose fitted weights are averaged; 1: one ascent on the questions themselves. The
# mean of 10 ascents cross-validated no better (0.914-0.922 against 0.917-0.922, the last labelling
# pass, least gain 0 and 0.005) and is not an optimum of any sample: it answered worse end to end.
BAGS = 1


class _Packed:
    """Groups stacked into one matrix, so that top-1 under any weights is a few array operations."""

    def __init__(self, groups: list[Group]) -> None:
        sizes = [len(g.rows) for g in groups]
        self.rows = np.vstack([g.rows for g in groups]) if groups else np.zeros((0, len(FEATURES)))
        self.labels = np.concatenate([g.labels for g in groups]) > 0 if groups else np.zeros(0, dtype=bool)
        self.typed_labels = np.concatenate(
            [g.typed_labels if g.typed_labels is not None else g.labels for g in groups]
        ) > 0 if groups else np.zeros(0, dtype=bool)
        self.starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
        self.group = np.repeat(np.arange(len(groups)), sizes)
        self.cosines = np.concatenate(
            [g.cosines if g.cosines is not None else np.full(len(g.rows), np.nan) for g in groups]
        ) if groups else np.zeros(0)
        self.typed = np.concatenate(
            [g.typed if g.typed is not None else np.zeros(len(g.rows), dtype=bool) for g in groups]
        ) if groups else np.zeros(0, dtype=bool)
        self.typed_first = np.array([g.typed_first for g in groups], dtype=bool)
        names = sorted({g.dataset for g in groups})
        self.sets = np.array([names.index(g.dataset) for g in groups], dtype=int)

    def _best(self, score: np.ndarray, second: np.ndarray, among: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per question, the first row of the best (score, second) among the rows marked, and whether
        any row was marked."""
        index = np.arange(len(score))
        top = np.where(among, score, -np.inf)
        top = among & (top >= np.maximum.reduceat(top, self.starts)[self.group])
        key = np.where(top, second, -np.inf)
        top &= key >= np.maximum.reduceat(key, self.starts)[self.group]
        return np.minimum.reduceat(np.where(top, index, len(score)), self.starts), np.logical_or.reduceat(among, self.starts)

    def correct(self, weights: np.ndarray) -> np.ndarray:
        """Per question, whether the quote the answerer would lead with holds the answer. The ranking
        is app.answer.candidates.score's: the score to 9 places; among 2 to MAX_TIED - 1 tied for
        best, nearest the question in meaning; otherwise (or for an English question) most of the
        question's character pairs shared; then source order. The lead is app.answer.quotes.lead's:
        the best-ranked candidate holding what is asked when it scores SIBLING_RATIO of the best (for
        a figure question, whatever it scores), else the best. A candidate leading for what it holds,
        ahead of the best, is judged by its typed label (Group.typed_labels)."""
        score = np.round(self.rows @ weights, 9)
        tied = score >= np.maximum.reduceat(score, self.starts)[self.group]
        count = np.add.reduceat(tied.astype(int), self.starts)[self.group]
        by_meaning = tied & (count >= 2) & (count < MAX_TIED) & ~np.isnan(self.cosines)
        second = np.where(by_meaning, self.cosines, self.rows[:, FEATURES.index("bigrams")])
        best, _ = self._best(score, second, np.ones(len(score), dtype=bool))
        typed, any_typed = self._best(score, second, self.typed)
        take = any_typed & (self.typed_first | (score[np.minimum(typed, len(score) - 1)] >= SIBLING_RATIO * score[best]))
        ahead = take & (typed != best)
        return np.where(ahead, self.typed_labels[np.minimum(typed, len(score) - 1)], self.labels[np.where(take, typed, best)])

    def mean_top1(self, weights: np.ndarray) -> float:
        """Top-1 with every set weighing the same (CMRC's thousand questions must not decide alone how
        news questions are answered)."""
        right = self.correct(weights)
        return float(np.mean([right[self.sets == s].mean() for s in np.unique(self.sets)]))


def fit(groups: list[Group], prior: SentenceModel, min_gain: float = MIN_GAIN, bags: int = BAGS, seed: int = 0) -> SentenceModel:
    """Weights under which the answerer leads with an answer-holding quote for as many questions as
    possible: the mean of coordinate ascents (ascend) on `bags` bootstrap samples of the questions
    (each set resampled within itself), which steadies weights that one ascent would fit to a few
    questions of a small set; bags=1 is one ascent on the questions themselves."""
    if bags <= 1:
        return ascend(groups, prior, min_gain)
    rng = np.random.default_rng(seed)
    by_set: dict[str, list[Group]] = {}
    for g in groups:
        by_set.setdefault(g.dataset, []).append(g)
    fitted = []
    for _ in range(bags):
        sample = [pool[i] for pool in by_set.values() for i in rng.integers(0, len(pool), len(pool))]
        fitted.append(ascend(sample, prior, min_gain).weights)
    return SentenceModel(FEATURES, np.round(np.mean(fitted, axis=0), 6), 0.0, {})


def ascend(groups: list[Group], prior: SentenceModel, min_gain: float = MIN_GAIN) -> SentenceModel:
    """Weights under which the answerer picks an answer-holding candidate for as many questions as
    possible: coordinate ascent on top-1 itself (each set weighing the same), from the prior's
    weights. Each round tries every free weight up and down by each of STEPS and takes the best step
    when it raises top-1 by more than min_gain; the FROZEN features keep the prior's ratio to the
    support weight. Top-1 is what the answerer gets right, so the fit optimises it rather than a
    smooth stand-in (a softmax over candidates, tried before, ranked worse on the sets it was not
    fitted on than the prior itself)."""
    packed = _Packed(groups)
    anchor = FEATURES.index("support")
    frozen = [FEATURES.index(name) for name in FROZEN]
    ratio = prior.weights / prior.weights[anchor] if prior.weights[anchor] else np.zeros(len(FEATURES))

    def tied(w: np.ndarray) -> np.ndarray:
        w = w.copy()
        w[frozen] = ratio[frozen] * w[anchor]
        return w

    weights = tied(prior.weights.astype(np.float64))
    best = packed.mean_top1(weights)
    for _ in range(ROUNDS):
        moved = False
        for i in (i for i in range(len(FEATURES)) if i not in frozen):
            tries = []
            for step in (s * sign for s in STEPS for sign in (1, -1)):
                trial = weights.copy()
                trial[i] += step
                trial = tied(trial)
                tries.append((packed.mean_top1(trial), -abs(step), trial))
            value, _, trial = max(tries, key=lambda t: t[:2])
            if value > best + min_gain:
                weights, best, moved = trial, value, True
        if not moved:
            break
    return SentenceModel(FEATURES, np.round(weights, 6), 0.0, {})


def top1(model: SentenceModel, groups: list[Group]) -> float:
    """Share of questions whose candidate picked as the answerer picks it holds the answer."""
    return float(_Packed(groups).correct(model.weights).mean()) if groups else 0.0


def set_mean_top1(model: SentenceModel, groups: list[Group]) -> float:
    """Top-1 with every set weighing the same, as the fit measures it."""
    return _Packed(groups).mean_top1(model.weights) if groups else 0.0


def cross_validate(groups: list[Group], prior: SentenceModel, min_gain: float = MIN_GAIN, bags: int = BAGS) -> dict[str, dict[str, float]]:
    """Per set: top-1 of a model fitted on the other sets, beside the prior model."""
    figures = {}
    for name in sorted({g.dataset for g in groups}):
        held = [g for g in groups if g.dataset == name]
        model = fit([g for g in groups if g.dataset != name], prior, min_gain, bags)
        figures[name] = {"questions": len(held), "top1_cv": round(top1(model, held), 4), "top1_prior": round(top1(prior, held), 4)}
    return figures


def question_groups(pipeline: Any, dataset: str, questions: list, progress: bool, whole: SentenceModel | None = None) -> list[Group]:  # type: ignore[type-arg]
    """Groups of a question set answered over a pipeline's index (single-turn answerable questions)."""
    items = [(q.id, q.question, as_facts(q.key_facts)) for q in questions if q.kind not in ("unanswerable", "followup") and q.key_facts]
    return asked_groups(pipeline, dataset, items, progress, whole)


def asked_groups(
    pipeline: Any, dataset: str, items: list[tuple[str, str, list[list[str]]]], progress: bool,
    whole: SentenceModel | None = None, k: int | None = None,
) -> list[Group]:
    """Groups of (id, question, facts) answered from the passages the pipeline retrieves (k of them)."""
    out = []
    for qid, question, facts in tqdm(items, desc=dataset, disable=not progress):
        hits = pipeline.evidence(question, k=k)
        group = group_of(dataset, qid, question, hits, pipeline.corpus, pipeline.similarity, facts, whole)
        if group is not None:
            out.append(group)
    return out


def reading_groups(
    dataset: str, items: list[tuple[str, str, list[str], list[list[str]]]], similarity: Callable, progress: bool,  # type: ignore[type-arg]
    whole: SentenceModel | None = None,
) -> list[Group]:
    """Groups of a reader set: (id, question, passages, facts) with the passages handed over."""
    from app.evaluation.rgb import passages_as_hits

    out = []
    for qid, question, passages, facts in tqdm(items, desc=dataset, disable=not progress):
        group = group_of(dataset, qid, question, passages_as_hits(passages), LocalCorpus(passages), similarity, facts, whole, on_quotes=True)
        if group is not None:
            out.append(group)
    return out


def as_facts(values: Any) -> list[list[str]]:
    """Key facts, each with its alternatives: a plain string is a fact with one (question sets' key
    facts, RGB's answers)."""
    return [list(v) if isinstance(v, (list, tuple)) else [v] for v in values]
