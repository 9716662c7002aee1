"""How well app/answer/support.py flags unsupported claims, on a hand-written set of examples."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from app.answer.support import check
from app.errors import InputError


@dataclass(frozen=True)
class Example:
    claim: str
    passage: str
    context: str
    supported: bool
    kind: str


@dataclass(frozen=True)
class Calibration:
    threshold: float
    caught: int  # unsupported claims flagged
    false_alarms: int  # supported claims flagged
    missed: tuple[Example, ...]  # unsupported claims passed
    unsupported: int

    @property
    def precision(self) -> float:
        return self.caught / max(1, self.caught + self.false_alarms)

    @property
    def recall(self) -> float:
        return self.caught / max(1, self.unsupported)


def read_examples(path: Path) -> list[Example]:
    """The lines of a claims file: {passage, claim, supported, kind, context?} each."""
    if not path.is_file():
        raise InputError(f"claims file not found: {path}", "pass a .jsonl file such as eval/claims.jsonl")
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            examples.append(Example(row["claim"], row["passage"], row.get("context", ""), bool(row["supported"]), row.get("kind", "")))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(
                f"{path}:{number} is not a claim example ({type(exc).__name__}: {exc})",
                'write one JSON object a line with "passage", "claim" and "supported": true/false',
            ) from None
    if not examples:
        raise InputError(f"{path} holds no examples", "add one JSON object a line")
    return examples


def calibrate(examples: list[Example], thresholds: list[float]) -> list[Calibration]:
    """Precision and recall of flagging unsupported claims, at each overlap threshold."""
    verdicts = [check(e.claim, e.passage, e.context, threshold=0.0) for e in examples]
    unsupported = sum(not e.supported for e in examples)
    results = []
    for threshold in thresholds:
        flagged = [bool(v.reasons) or v.score < threshold for v in verdicts]
        caught = sum(f and not e.supported for f, e in zip(flagged, examples))
        false_alarms = sum(f and e.supported for f, e in zip(flagged, examples))
        missed = tuple(e for f, e in zip(flagged, examples) if not f and not e.supported)
        results.append(Calibration(threshold, caught, false_alarms, missed, unsupported))
    return results
