"""The answer-sentence model: its file format and the fit behind `biaogan fit-answerer`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.answer.scorer import FEATURES, SentenceModel, default_model, load_model
from app.errors import InputError
from app.evaluation.fitting import Group, fit, held, top1


def _row(**values: float) -> list[float]:
    return [values.get(name, 0.0) for name in FEATURES]


def _prior() -> SentenceModel:
    return SentenceModel.from_json({"features": ["support"], "weights": [1.0], "bias": 0.0})


def test_the_fit_learns_a_signal_the_prior_ignores() -> None:
    # In every question the answer holds what is asked ("fits") but covers less of the question.
    groups = [
        Group(name, f"{name}{i}", np.array([_row(support=0.9), _row(support=0.5, fits=1.0), _row(support=0.2)]), np.array([0.0, 1.0, 0.0]))
        for name in ("a", "b") for i in range(5)
    ]
    prior = _prior()
    assert top1(prior, groups) == 0.0
    model = fit(groups, prior)
    assert top1(model, groups) == 1.0
    assert model.weights[FEATURES.index("fits")] > 0


def test_a_model_file_keeps_its_weights_and_ignores_features_this_code_does_not_compute(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"features": ["support", "no_such_feature"], "weights": [2.0, 5.0], "bias": 0.5}), encoding="utf-8")
    model = load_model(path)
    row = np.array([_row(support=1.0)])
    assert model.score(row)[0] == pytest.approx(2.5)
    assert default_model().names == FEATURES


def test_an_unreadable_model_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="bad.json"):
        load_model(bad)


def test_a_label_counts_the_facts_held_whitespace_ignored() -> None:
    facts = [["博览会", "博览"], ["第二次"]]
    assert held("这是第 二次参加博览会", facts) == 1.0
    assert held("这是第一次参加博览会", facts) == 0.5


def test_the_fit_leaves_quote_length_to_the_prior() -> None:
    # The pair holds the answer every time (a pair holds more), but how long a quote is stays the
    # prior's choice: its weight keeps the prior's sign and share.
    prior = SentenceModel.from_json({"features": ["support", "pair"], "weights": [1.0, -0.05], "bias": 0.0})
    groups = [
        Group(name, f"{name}{i}", np.array([_row(support=0.6), _row(support=0.6, pair=1.0), _row(support=0.2)]), np.array([0.0, 1.0, 0.0]))
        for name in ("a", "b") for i in range(5)
    ]
    model = fit(groups, prior)
    support, pair = model.weights[FEATURES.index("support")], model.weights[FEATURES.index("pair")]
    assert pair < 0 and abs(pair / support - (-0.05)) < 0.02


def test_top1_breaks_ties_as_the_answerer_does() -> None:
    # Equal scores: the candidate sharing more of the question's character pairs is picked, not the first.
    group = Group("a", "a1", np.array([_row(support=0.5, bigrams=0.2), _row(support=0.5, bigrams=0.6)]), np.array([0.0, 1.0]))
    assert top1(_prior(), [group]) == 1.0
    assert top1(_prior(), [Group("a", "a2", group.rows[::-1], group.labels[::-1])]) == 1.0


def test_a_step_too_small_to_pay_is_not_taken() -> None:
    # One question of ten is won by weighing "fits": worth 0.1 of top-1 in its set, so a least gain
    # of 0.2 keeps the prior's weights, and none keeps the step.
    rows = [np.array([_row(support=0.9), _row(support=0.2)]) for _ in range(9)] + [np.array([_row(support=0.9), _row(support=0.6, fits=1.0)])]
    groups = [Group("a", f"a{i}", r, np.array([1.0, 0.0] if i < 9 else [0.0, 1.0])) for i, r in enumerate(rows)]
    assert fit(groups, _prior(), min_gain=0.2, bags=1).weights[FEATURES.index("fits")] == 0.0
    model = fit(groups, _prior(), min_gain=0.0, bags=1)
    assert model.weights[FEATURES.index("fits")] > 0 and top1(model, groups) == 1.0


def test_the_fit_never_ranks_its_own_questions_worse_than_the_prior() -> None:
    rng = np.random.default_rng(0)
    groups = [
        Group(name, f"{name}{i}", rng.random((6, len(FEATURES))), (rng.random(6) > 0.7).astype(float))
        for name in ("a", "b", "c") for i in range(20)
    ]
    groups = [g for g in groups if g.labels.any()]
    prior = default_model()
    model = fit(groups, prior, bags=1)  # one ascent; a mean of ascents on resamples need not keep this

    def each_set_alike(m: SentenceModel) -> float:  # what the fit maximises: every set weighing the same
        return float(np.mean([top1(m, [g for g in groups if g.dataset == name]) for name in ("a", "b", "c")]))

    assert each_set_alike(model) >= each_set_alike(prior)


def test_top1_breaks_a_few_ties_by_meaning_and_many_by_shared_pairs() -> None:
    # Two tied for best: the one nearer the question in meaning is picked, whatever pairs it shares.
    rows = np.array([_row(support=0.5, bigrams=0.6), _row(support=0.5, bigrams=0.2)])
    near_second = Group("a", "a1", rows, np.array([0.0, 1.0]), cosines=np.array([0.70, 0.85]))
    assert top1(_prior(), [near_second]) == 1.0
    # Twelve or more tied: the answerer does not encode them all, so shared pairs decide.
    many = np.array([_row(support=0.5, bigrams=0.9)] + [_row(support=0.5, bigrams=0.1)] * 12)
    labels = np.array([1.0] + [0.0] * 12)
    assert top1(_prior(), [Group("a", "a2", many, labels, cosines=np.linspace(0.1, 0.9, 13))]) == 1.0


def test_top1_leads_as_the_answerer_does_with_a_close_quote_holding_what_is_asked() -> None:
    rows = np.array([_row(support=1.0), _row(support=0.9), _row(support=0.5)])
    labels = np.array([0.0, 1.0, 0.0])
    # The second holds what is asked (a date, a figure…) and scores at least SIBLING_RATIO of the best: it leads.
    assert top1(_prior(), [Group("a", "a1", rows, labels, typed=np.array([False, True, False]))]) == 1.0
    # Too far below the best, it does not, unless the question asks for a figure (it then leads whatever it scores).
    far = np.array([0.0, 0.0, 1.0])
    assert top1(_prior(), [Group("a", "a2", rows, far, typed=np.array([False, False, True]))]) == 0.0
    assert top1(_prior(), [Group("a", "a3", rows, far, typed=np.array([False, False, True]), typed_first=True)]) == 1.0


def test_the_bagged_fit_is_the_same_each_run() -> None:
    rng = np.random.default_rng(1)
    groups = [Group(name, f"{name}{i}", rng.random((5, len(FEATURES))), (rng.random(5) > 0.6).astype(float)) for name in ("a", "b") for i in range(15)]
    groups = [g for g in groups if g.labels.any()]
    assert np.array_equal(fit(groups, _prior(), bags=4).weights, fit(groups, _prior(), bags=4).weights)


def test_refit_relabels_with_its_own_fit_until_the_weights_stop_moving() -> None:
    from app.evaluation.fit_run import refit

    # Labels depend on the model ranking the other quotes: in set "b", either candidate answers when
    # the ranker ignores answer-type fit, only the one holding what is asked when it uses it. Each
    # pass is given the model the last pass fitted.
    seen: list[float | None] = []

    def groups_for(ranker: SentenceModel | None) -> list[Group]:
        weight = None if ranker is None else float(ranker.weights[FEATURES.index("fits")])
        seen.append(weight)
        labels = {"a": [0.0, 1.0], "b": [0.0, 1.0] if weight else [1.0, 1.0]}
        return [
            Group(name, f"{name}{i}", np.array([_row(support=0.9), _row(support=0.5, fits=1.0)]), np.array(labels[name]))
            for name in ("a", "b") for i in range(5)
        ]

    model, groups, runs, gain, history = refit(groups_for, _prior(), _prior(), [0.0], passes=5, bags=1)
    assert seen[0] == 0.0 and seen[1] and seen[1] > 0  # the second pass is labelled by the first fit
    assert len(history) == len(seen) == 2  # the second pass left the weights where they were, so it stopped
    assert top1(model, groups) == 1.0
    assert history[-1]["weights"] == [round(float(w), 6) for w in model.weights]


def test_refit_with_quote_labels_takes_one_pass() -> None:
    from app.evaluation.fit_run import refit

    calls: list[SentenceModel | None] = []

    def groups_for(ranker: SentenceModel | None) -> list[Group]:
        calls.append(ranker)
        return [Group(name, f"{name}{i}", np.array([_row(support=0.9), _row(support=0.5, fits=1.0)]), np.array([0.0, 1.0])) for name in ("a", "b") for i in range(3)]

    refit(groups_for, None, _prior(), [0.0], passes=3, bags=1)
    assert calls == [None]


def test_refit_keeps_the_ranking_model_when_no_fit_beats_it_on_its_own_labels() -> None:
    from app.evaluation.fit_run import refit

    # The ranking model already leads with the right candidate everywhere; the fit also reaches that,
    # by other weights, so the ranking model is kept and no further pass is made.
    ranker = SentenceModel.from_json({"features": ["support", "fits", "specifics"], "weights": [1.0, 0.5, 0.3], "bias": 0.0})
    calls: list[SentenceModel | None] = []

    def groups_for(model: SentenceModel | None) -> list[Group]:
        calls.append(model)
        return [Group(name, f"{name}{i}", np.array([_row(support=0.9), _row(support=0.5, fits=1.0)]), np.array([0.0, 1.0])) for name in ("a", "b") for i in range(3)]

    model, _, _, _, history = refit(groups_for, ranker, _prior(), [0.0], passes=3, bags=1)
    assert len(calls) == 1 and history[0]["kept_ranking_model"]
    assert history[0]["weights"] != history[0]["ranked_by"]  # the fit itself went elsewhere
    assert np.array_equal(model.weights, ranker.weights)
