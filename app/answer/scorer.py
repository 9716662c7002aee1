"""How likely a candidate sentence is to hold the answer: a logistic model over features of the
sentence and the question, with weights fitted by `biaogan fit-answerer` (app/evaluation/fitting.py) and kept
as data in app/data/answer_model.json. No weight here is set by hand."""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

# Each feature is a number in about [0, 1] (length in units of log characters).
FEATURES = (
    "support",  # idf-weighted share of the question's terms in the sentence or its speaker and date
    "text_coverage",  # the same share in the sentence's own words only
    "bigrams",  # share of the question's Chinese character pairs found in the sentence
    "fits",  # holds what the question asks for: a figure with its unit, a date, items, a person…
    "inverse_rank",  # 1 / the rank of its passage
    "pair",  # two adjacent sentences quoted together
    "garbled",  # column-interleaved OCR repeats
    "asks",  # the quote ends in a question mark: a reporter's or rhetorical question, which answers nothing
    "length",  # log(characters) / 5
    "voiced",  # the text says who speaks this sentence
    "position",  # where in its passage the sentence starts (0 first, 1 last)
    "english",  # the question is in English (support is then a cosine)
    "english_support",  # support, for English questions only
    "english_name",  # an English question spells the sentence speaker's name
    "english_place",  # share of the places an English question names that the sentence names
    "specifics",  # share of the names, places, organisations and figures the question is about held by the sentence or its context
    "places",  # share of the places the question pins down held by the sentence or its context
    "periods",  # share of the periods a figure question pins down (上半年, 8月份) held by the sentence or its context
    "speaker_named",  # the sentence's speaker is a person the question names
)
MODEL_FILE = "answer_model.json"
PRIOR_FILE = "answer_prior.json"  # where fitting starts: support, and the quote-length and OCR choices it keeps


@dataclass(frozen=True)
class SentenceModel:
    names: tuple[str, ...]
    weights: np.ndarray
    bias: float
    meta: dict[str, Any]

    def score(self, rows: np.ndarray) -> np.ndarray:
        """How well each row of features (columns as in FEATURES) answers: higher is better, on the
        scale of the share of the question a sentence covers (a full match scores about 1)."""
        return rows @ self.weights + self.bias

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.names), "weights": [round(float(w), 6) for w in self.weights],
            "bias": round(self.bias, 6), **self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SentenceModel:
        by_name = dict(zip(data["features"], data["weights"]))
        # A feature the file does not know weighs nothing; one this code does not compute is ignored.
        weights = np.array([float(by_name.get(name, 0.0)) for name in FEATURES], dtype=np.float64)
        meta = {k: v for k, v in data.items() if k not in ("features", "weights", "bias")}
        return cls(FEATURES, weights, float(data["bias"]), meta)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def load_model(path: Path) -> SentenceModel:
    """A model file written by `biaogan fit-answerer`; a missing or malformed file is an InputError."""
    from app.errors import InputError

    try:
        return SentenceModel.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot read the answer model {path} ({exc})", "pass a file written by `biaogan fit-answerer`") from exc


@functools.lru_cache(maxsize=1)
def default_model() -> SentenceModel:
    """The fitted model shipped in the package."""
    raw = resources.files("app.data").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return SentenceModel.from_json(json.loads(raw))


def length_feature(chars: int) -> float:
    return math.log(max(chars, 1)) / 5.0
