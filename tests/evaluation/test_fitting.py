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
    model = fit(groups, prior, l2=0.01)
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
    model = fit(groups, prior, l2=0.01)
    support, pair = model.weights[FEATURES.index("support")], model.weights[FEATURES.index("pair")]
    assert pair < 0 and abs(pair / support - (-0.05)) < 0.02
