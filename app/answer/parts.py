"""Question -> the questions it asks: a question that asks several things is answered part by part.

Chinese grammar only, nothing of a particular corpus:

- several sentences that each ask ("…在什么时间？在哪座城市举办？");
- asking phrases joined by 、 or a comma, each ending in what it asks ("安排在什么时间、什么地点",
  "办了多少年，是第几届"; not "几位受访者都谈到了…，分别怎么说");
- subjects joined by 和/与/及/、 and distributed by 各/分别/各自 ("A和B各签了多少个项目"): `coordinated`
  gives one question per subject. Each is retrieved on its own (app.pipeline), so one side's
  passages cannot crowd out the other's, and answered as its own part (app.answer.compose), unless the
  subjects are people or departments, whose own passages answer for each (app.answer.quotes.choose).
  `subjects` also gives the items of an enumeration asked about one by one (app.answer.quotes.parts).

A later part that leaves out the subject of the first carries the first part's words in brackets
("（东湖区 项目）项目在哪座城市？").
"""

from __future__ import annotations

import functools
import re

from app.answer.question import QUESTION_WORD
from app.text import segments, words

MAX_PARTS = 4
ASKING_TAIL = 4  # characters an asking phrase may end before its 、 or comma ("多少个项目")

_PART_END = re.compile(r"(?<=[？?；;])")
_ASKING = re.compile(r"几|多少|哪|什么|何|多大|多高|多长|多久|多远|怎么|怎样|如何|为什么|是否|吗|谁|\b(?:what|which|who|when|where|how)\b", re.I)
# An asking phrase, strictly: "任何", "几乎" and "如何" inside a longer word do not split a question.
_ASKS = re.compile(
    r"多少|第几|几[个项家位年届天次种条座所名人批]|哪[个些里儿位座家所一种年天届条项]|什么|何时|何地|何处|为什么|为何|"
    r"怎么|怎样|如何|是否|多大|多高|多长|多久|多远|谁"
)
# 各 / 分别 / 各自 distributing a verb over the subjects before it; not 各地, 各类, 各项 ….
_EACH = re.compile(r"分别|各自|各(?![地类项级界方种个位大省市区县部门行业族国种式样色])")
_AND = frozenset({"和", "与", "及", "以及", "同", "跟", "、"})
_CLAUSE_END = re.compile(r"[，,；;：:。]")
# A time that leads the first subject ("8月无锡和上海…") is shared by all of them.
_LEADING_TIME = re.compile(r"^(?:\d{4}年)?(?:\d{1,2}月(?:份|底|初|中旬|上旬|下旬)?|今年|去年|上半年|下半年)")


def sub_questions(question: str, distribute: bool = False) -> list[str]:
    """The questions a question asks, in its order; a question asking one thing is returned whole.
    With `distribute`, a sentence asking the same of several subjects ("A和B各…") is asked of each."""
    sentences = asked_sentences(question)
    asking_sentences = [p for p in sentences if _ASKING.search(p)]
    if len(sentences) < 2 or len(asking_sentences) < 2:
        sentences = [question.strip()]
    parts: list[str] = []
    for number, sentence in enumerate(sentences):
        each = coordinated(sentence) if distribute else [sentence]
        if len(each) > 1:
            parts += each  # each names its subject: whole as it is
            continue
        phrases = asking_phrases(sentence)
        for index, phrase in enumerate(phrases):
            # A later phrase leaves out what its sentence's first phrase names; a later sentence
            # leaves out what the first sentence names.
            whole = number == 0 and index == 0
            parts.append(phrase if whole else _with_context(phrase, phrases[0] if number == 0 else sentences[0]))
    if len(parts) < 2:
        return [question]
    return parts[:MAX_PARTS]


def _with_context(phrase: str, lead: str) -> str:
    context = " ".join(w for w in words(_EACH.sub("", lead)) if len(w) >= 2 and not QUESTION_WORD.search(w))
    return f"（{context}）{phrase}" if context else phrase


def asked_sentences(question: str) -> list[str]:
    """The sentences of a question, each ending at its ？ or ；."""
    return [p.strip() for p in _PART_END.split(question) if p.strip()]


def per_subject(question: str) -> list[str]:
    """One question for each subject of each distributed coordination the question holds
    ("A和B各办了什么节？A办了多少年？" -> ["A办了什么节？", "B办了什么节？"]); [] when it has none."""
    found: list[str] = []
    for sentence in asked_sentences(question):
        subjects = coordinated(sentence)
        if len(subjects) > 1:
            found += subjects
    return found[:MAX_PARTS]


def coordinated(question: str) -> list[str]:
    """"A和B各…？" -> ["A…？", "B…？"]; a question without distributed subjects -> [question]."""
    split = subjects(question)
    if split is None:
        return [question]
    prefix, found, rest = split
    return [prefix + s + rest for s in found]


@functools.lru_cache(maxsize=1024)  # asked of the same question by retrieval, resolution and the answerer
def subjects(question: str) -> tuple[str, tuple[str, ...], str] | None:
    """"发布会上，A和B分别介绍了什么？" -> ("发布会上，", ["A", "B"], "介绍了什么？"): what comes before the
    subjects, the subjects, and what is asked of each; None when no subjects are distributed."""
    marker = _EACH.search(question)
    if marker is None:
        return None
    head, rest = question[: marker.start()], _EACH.sub("", question[marker.end():])
    tokens = segments(head)
    offsets, position = [], 0
    for token in tokens:
        offsets.append(position)
        position += len(token)
    joins = [(offsets[i], offsets[i] + len(t)) for i, t in enumerate(tokens) if t in _AND and 0 < offsets[i] < len(head) - len(t)]
    if not joins:
        return None
    # The first subject starts after the clause break before the first conjunction ("…增速，和…").
    before = head[: joins[0][0]].rstrip("，, ")
    breaks = [m.end() for m in _CLAUSE_END.finditer(before)]
    start = breaks[-1] if breaks else 0
    bounds = [start] + [end for _, end in joins]
    ends = [a for a, _ in joins] + [len(head)]
    found = [head[a:b].strip("，, ") for a, b in zip(bounds, ends)]
    if any(not s for s in found):
        return None
    # "郑州和成都的GDP分别…": what follows the last subject's 的 belongs to every subject.
    tail = found[-1][found[-1].index("的"):] if "的" in found[-1] and not any("的" in s for s in found[:-1]) else ""
    found = [s + tail for s in found[:-1]] + [found[-1]]
    time = _LEADING_TIME.match(found[0])
    shared = time.group(0) if time else ""
    return head[:start], tuple(s if not shared or s.startswith(shared) else shared + s for s in found), rest


def _asks_at_end(piece: str) -> bool:
    """Whether a piece ends with what it asks ("签了多少个项目、"), not only mentions a quantity
    ("几位受访者都谈到了街区建设，")."""
    body = piece.rstrip("、，, ")
    return any(len(body) - m.end() <= ASKING_TAIL for m in _ASKS.finditer(body))


def asking_phrases(question: str) -> list[str]:
    """"…安排在什么时间、什么地点？" -> ["…安排在什么时间？", "什么地点？"]: split at 、 or a comma only where
    the text on both sides asks something; text that asks nothing stays with what follows it."""
    end = question[-1] if question and question[-1] in "？?" else ""
    body = question[: len(question) - len(end)]
    pieces = re.split(r"(?<=[、，,])", body)
    raw: list[str] = []
    pending = ""
    for piece in pieces:
        pending += piece
        if _asks_at_end(pending):
            raw.append(pending)
            pending = ""
    if len(raw) < 2:
        return [question]
    raw[-1] += pending  # "…是多少，请说明" keeps its tail
    phrases = [p.strip("、，, ") for p in raw]
    return [p + (end or "？") for p in phrases]
