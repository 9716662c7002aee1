"""Is a generated sentence supported by the passage it cites? Pure checks on two strings.

A claim fails when any of these holds:
- a figure it states is not in the cited text as a whole quantity with a compatible unit
  (700亿元 against 7000亿元, 30项 against 300项), or the direction word next to it (下降 / 增长)
  is not next to that figure in the cited text;
- it names a person, place or organisation the cited text does not name;
- it negates (不, 没有, 未 …) what the best-matching cited sentences state without negation;
- one of its clauses shares too little with the cited text: the mean of the share of its content
  words and the share of its character pairs found there is under THRESHOLD.
THRESHOLD was chosen with `biaogan check-claims eval/claims.jsonl` (see docs/reliability.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from app.errors import InputError
from app.figures import Figure, figures, matches, normalize
from app.text import bigrams, cities, sentence_spans, synonyms, tagged, words

THRESHOLD = 0.35
_MARKER = re.compile(r"\[\d+\]")
_CLAUSE = re.compile(r"[，,；;：:。！？!?\n]")
UP = ("增", "上升", "提高", "上涨", "攀升", "扩大", "涨")
DOWN = ("降", "减", "下滑", "回落", "下跌", "跌", "缩小", "萎缩")
NEGATIONS = frozenset({
    "不", "没", "没有", "未", "无", "非", "不会", "不能", "不是", "不再", "不要", "不得", "并未", "并非",
    "从未", "尚未", "未能", "未曾", "无法", "绝不", "决不", "并不", "毫无",
})
# How a sentence reports speech: these words need not occur in the cited text.
_FRAME = frozenset({
    "表示", "说", "指出", "认为", "介绍", "强调", "称", "提到", "提出", "谈到", "透露", "据", "报道", "文章",
    "记者", "采访", "他", "她", "他们", "我们", "此外", "另外", "同时", "其中", "还", "已", "目前", "根据",
})
_NAME_TAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nt"})
_PLACE_SUFFIX = ("市", "省", "区", "县")


@dataclass(frozen=True)
class Verdict:
    supported: bool
    score: float  # the lowest clause overlap, 0..1
    reasons: tuple[str, ...]  # why not, in words a reader understands; empty when supported


def check(claim: str, cited: str, context: str = "", threshold: float = THRESHOLD) -> Verdict:
    """Whether claim is supported by cited (the passage text) plus context (its title, speaker, position)."""
    text = normalize(_MARKER.sub("", claim))
    source = normalize(f"{cited}\n{context}")
    reasons = figure_problems(text, source) + name_problems(text, source) + negation_problems(text, source)
    score = overlap(_without_figures(text), source)
    if score < threshold:
        reasons.append("内容在出处中找不到")
    return Verdict(not reasons, score, tuple(reasons))


def _without_figures(text: str) -> str:
    """Figures are checked on their own; as characters (百分之五十) they would only lower the overlap."""
    for figure in reversed(figures(text)):
        text = text[: figure.start] + " " + text[figure.end :]
    return text


def _clause_start(text: str, start: int) -> int:
    return max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)


def _clause_of(text: str, start: int, end: int) -> str:
    """The clause around text[start:end], between the nearest commas or sentence ends."""
    left = _clause_start(text, start)
    right = next((m.start() for m in _CLAUSE.finditer(text, end)), len(text))
    return text[left:right]


def _direction(clause: str) -> set[str]:
    found = set()
    if any(w in clause for w in UP):
        found.add("up")
    if any(w in clause for w in DOWN):
        found.add("down")
    return found


def figure_problems(text: str, source: str) -> list[str]:
    """Figures of the claim missing from the source, or stated there with another direction."""
    stated = figures(source)
    found, previous_end = [], 0
    for figure in figures(text):
        same = [s for s in stated if matches(figure, s)]
        # The direction word that governs a figure stands between it and the figure before it.
        lead = text[max(previous_end, _clause_start(text, figure.start)) : figure.end]
        previous_end = figure.end
        if not same:
            found.append(f"数字“{figure.text}”与出处不符")
            continue
        claimed = _direction(lead)
        if claimed and not any(claimed <= _direction(_clause_around(source, s)) for s in same):
            found.append(f"“{figure.text}”的增减方向与出处不符")
    return found


def _clause_around(source: str, figure: Figure) -> str:
    """The clause of source that states figure (within its sentence)."""
    for start, end in sentence_spans(source):
        if start <= figure.start < end:
            return _clause_of(source[start:end], figure.start - start, figure.end - start)
    return source


def _present(term: str, source: str) -> bool:
    if term in source:
        return True
    if any(term in group and any(alt in source for alt in group) for group in synonyms()):
        return True
    return term.endswith(_PLACE_SUFFIX) and len(term) > 2 and term[:-1] in source


def name_problems(text: str, source: str) -> list[str]:
    """People, places and organisations the claim names but the source does not."""
    names = [w for w, flag in tagged(text) if flag in _NAME_TAGS and len(w) >= 2]
    names += [city for city in cities() if city in text]
    missing = [n for n in dict.fromkeys(names) if not _present(n, source)]
    return [f"“{n}”在出处中没有" for n in missing]


def _best_sentences(text: str, source: str, n: int = 2) -> list[str]:
    wanted = set(bigrams(text))
    spans = sentence_spans(source) or [(0, len(source))]
    ranked = sorted(spans, key=lambda s: -len(wanted & set(bigrams(source[s[0] : s[1]]))))
    return [source[a:b] for a, b in ranked[:n]]


def negation_problems(text: str, source: str) -> list[str]:
    """A negation in the claim that the cited sentences it paraphrases do not carry."""
    negated = [w for w in words(text) + [w for w, _ in tagged(text)] if w in NEGATIONS]
    if not negated:
        return []
    best = _best_sentences(text, source)
    if any(w in NEGATIONS for sentence in best for w, _ in tagged(sentence)):
        return []
    return [f"出处没有“{negated[0]}”这样的否定说法"]


def content_terms(text: str) -> list[str]:
    """Words of two or more characters that carry content: no figures, no reporting frame."""
    return [w for w in dict.fromkeys(words(text)) if len(w) >= 2 and w not in _FRAME and not any(c.isdigit() for c in w)]


def clause_score(clause: str, source: str) -> float | None:
    """Mean share of the clause's content words and character pairs found in source; None if it has none."""
    terms = content_terms(clause)
    pairs = set(bigrams("".join(w for w, _ in tagged(clause) if w not in _FRAME)))
    if not terms and not pairs:
        return None
    have = set(bigrams(source))
    term_share = sum(_present(t, source) for t in terms) / len(terms) if terms else 1.0
    pair_share = len(pairs & have) / len(pairs) if pairs else 1.0
    return (term_share + pair_share) / 2


def overlap(text: str, source: str) -> float:
    """The lowest clause score of text against source (1.0 when no clause says anything)."""
    scores = [clause_score(c, source) for c in _CLAUSE.split(text) if len(c.strip()) >= 2]
    scores = [s for s in scores if s is not None]
    return min(scores, default=1.0)


# --- calibration: how well the check flags unsupported claims on a hand-written set ---------------


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
