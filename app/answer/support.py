"""Is a generated sentence supported by the passage it cites? Pure checks on two strings.

A claim fails when any of these holds:
- a figure it states is not in the cited text as a whole quantity with a compatible unit
  (700亿元 against 7000亿元, 30项 against 300项), or the direction word before it (下降 / 增长)
  is not next to that figure in the cited text, or the words around it fit another figure of the
  same unit better (3000亿元 said of the item the passage gives 1500亿元 for), or it is said to be
  reached (已经突破) where the cited text states it as a target (力争突破);
- it moves something one way (降低) where its best-matching cited sentence moves it the other (提高);
- it names a person, place or organisation, or uses a noun of three or more characters, that the
  cited text does not;
- it negates (不, 没有, 未 …) what the best-matching cited sentences state without negation;
- one of its clauses shares too little with the cited text: the mean of the share of its content
  words and the share of its character pairs found there is under THRESHOLD.
THRESHOLD was chosen with `biaogan check-claims eval/claims.jsonl` (see docs/reliability.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.answer.figures import Figure, english_figures, figures, matches, normalize
from app.text import PLACE_SUFFIXES, bigrams, cities, cjk_ratio, english_places, sentence_spans, synonyms, tagged, words

THRESHOLD = 0.35
_MARKER = re.compile(r"\[\d+\]")
_CLAUSE = re.compile(r"[，,；;：:。！？!?\n]")
UP = ("增", "上升", "提高", "上涨", "攀升", "扩大", "涨")
DOWN = ("降", "减", "下滑", "回落", "下跌", "跌", "缩小", "萎缩")
_DONE = ("已经", "已于", "已", "业已", "实现了", "完成了", "达到了")
_PLANNED = ("力争", "争取", "计划", "目标", "确保", "预计", "将", "要", "拟")
# Direction verbs without a figure: 降低比重 says the opposite of 提高比重.
_UP_VERBS = ("提高", "增加", "增长", "上升", "扩大", "加大", "提升", "上涨", "增强")
_DOWN_VERBS = ("降低", "减少", "下降", "缩小", "减小", "压减", "下滑", "减弱")
NEGATIONS = frozenset({
    "不", "没", "没有", "未", "无", "非", "不会", "不能", "不是", "不再", "不要", "不得", "并未", "并非",
    "从未", "尚未", "未能", "未曾", "无法", "绝不", "决不", "并不", "毫无",
})
# How a sentence reports speech: these words need not occur in the cited text.
_FRAME = frozenset({
    "表示", "说", "指出", "认为", "介绍", "强调", "称", "提到", "提出", "谈到", "透露", "据", "报道", "文章",
    "记者", "采访", "他", "她", "他们", "我们", "此外", "另外", "同时", "其中", "还", "已", "目前", "根据",
})
_EN_UP = re.compile(r"\b(increas|ris|rose|grow|grew|rais|higher|up\b)")
_EN_DOWN = re.compile(r"\b(decreas|declin|fall|fell|drop|lower|reduc|cut\b|down\b)")
_NAME_TAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nt"})


@dataclass(frozen=True)
class Verdict:
    supported: bool
    score: float  # the lowest clause overlap, 0..1
    reasons: tuple[str, ...]  # why not, in words a reader understands; empty when supported


def is_english(claim: str) -> bool:
    """A sentence in English (or mostly not Chinese), which only the figure and city checks can judge."""
    text = _MARKER.sub("", claim)
    return sum(c.isalpha() for c in text) > 0 and cjk_ratio(text) < 0.3


def check(claim: str, cited: str, context: str = "", threshold: float = THRESHOLD) -> Verdict:
    """Whether claim is supported by cited (the passage text) plus context (its title, speaker, position)."""
    text = normalize(_MARKER.sub("", claim))
    source = normalize(f"{cited}\n{context}")
    if is_english(text):
        return _check_english(text, source)
    reasons = figure_problems(text, source) + name_problems(text, source) + negation_problems(text, source)
    reasons += direction_problems(text, source)
    score = overlap(_without_figures(text), source)
    if score < threshold:
        reasons.append("内容在出处中找不到")
    return Verdict(not reasons, score, tuple(reasons))


def _check_english(text: str, source: str) -> Verdict:
    """Figures (700 billion yuan against 7000亿元), their direction words and cities (Suzhou: 苏州) only."""
    stated = figures(source)
    reasons = []
    for figure in english_figures(text):
        same = [s for s in stated if matches(figure, s)]
        if not same:
            reasons.append(f"数字“{figure.text}”与出处不符")
            continue
        lead = text[max(0, figure.start - 40) : figure.end].lower()
        claimed = {w for w, pattern in (("up", _EN_UP), ("down", _EN_DOWN)) if pattern.search(lead)}
        if claimed and not any(claimed <= _direction(_clause_around(source, s)) for s in same):
            reasons.append(f"“{figure.text}”的增减方向与出处不符")
    reasons += [f"“{city}”在出处中没有" for city in english_places(text) if city not in source]
    return Verdict(not reasons, 1.0, tuple(reasons))


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


def _clause_end(text: str, end: int) -> int:
    return next((m.start() for m in _CLAUSE.finditer(text, end)), len(text))


def _windows(text: str, found: list[Figure]) -> list[tuple[int, int]]:
    """For each figure, the stretch of its clause that is about it: up to the figures on either side."""
    spans = []
    for i, figure in enumerate(found):
        start = max(found[i - 1].end if i else 0, _clause_start(text, figure.start))
        end = min(found[i + 1].start if i + 1 < len(found) else len(text), _clause_end(text, figure.end))
        spans.append((start, end))
    return spans


def figure_problems(text: str, source: str) -> list[str]:
    """Figures of the claim missing from the source, or stated there about something else, with
    another direction, or as a target where the claim says it was reached."""
    claimed, stated = figures(text), figures(source)
    stated_windows = [source[a:b] for a, b in _windows(source, stated)]
    found = []
    for figure, (start, end) in zip(claimed, _windows(text, claimed)):
        same = [(s, w) for s, w in zip(stated, stated_windows) if matches(figure, s)]
        if not same:
            found.append(f"数字“{figure.text}”与出处不符")
            continue
        # Only figures of the same kind can be confused for each other (亿元 with 亿元, 个 with 个).
        others = [w for s, w in zip(stated, stated_windows) if not matches(figure, s) and figure.unit and s.unit == figure.unit]
        about = text[start : figure.start] + " " + text[figure.end : end]
        # The direction word that governs a figure stands before it (增长50%, 占比下降50%).
        found += _context_problems(figure, text[start : figure.end], about, same, others, source)
    return found


def _context_problems(
    figure: Figure, lead: str, about: str, same: list[tuple[Figure, str]], others: list[str], source: str,
) -> list[str]:
    found = []
    claimed = _direction(lead)
    if claimed and not any(claimed <= _direction(_clause_around(source, s)) for s, _ in same):
        found.append(f"“{figure.text}”的增减方向与出处不符")
    # The claim's words around the figure fit another figure of the passage better: 3000亿元 said of
    # 工业投资 when the passage gives 3000亿元 for 地产开发投资 and 1500亿元 for 工业投资.
    terms = content_terms(about)
    fit = max(sum(t in w for t in terms) for _, w in same)
    if max((sum(t in w for t in terms) for w in others), default=0) > fit:
        found.append(f"出处中的“{figure.text}”说的是另一件事")
    if any(d in lead for d in _DONE) and all(
        not any(d in w for d in _DONE) and any(p in w for p in _PLANNED) for _, w in same
    ):
        found.append(f"出处中的“{figure.text}”是目标，不是已经达到")
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
    return any(term.endswith(s) and len(term) > len(s) + 1 and term[: -len(s)] in source for s in PLACE_SUFFIXES)


def name_problems(text: str, source: str) -> list[str]:
    """People, places, organisations and specific nouns (董事长, 一等奖) the claim names but the source does not.

    Nouns of two characters are left to the overlap score: a paraphrase often swaps them (政策 / 新政).
    """
    names = [w for w, flag in tagged(text) if (flag in _NAME_TAGS and len(w) >= 2) or (flag.startswith("n") and len(w) >= 3)]
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


def direction_problems(text: str, source: str) -> list[str]:
    """A claim that moves something one way (降低) where its best-matching cited sentence moves it the other (提高)."""
    def ways(part: str) -> set[str]:
        part = part.replace("增加值", "")  # value added, a noun
        return {w for w, verbs in (("up", _UP_VERBS), ("down", _DOWN_VERBS)) if any(v in part for v in verbs)}

    claimed = ways(text)
    if len(claimed) != 1:
        return []
    stated = ways(_best_sentences(text, source, 1)[0])
    if stated and not claimed & stated:
        return [f"出处说的是{'增加' if 'up' in stated else '减少'}，方向相反"]
    return []


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
