"""Resolve follow-up questions ("他还提到了什么？", "那商务局呢？") against earlier turns before retrieval."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from app.answer.entities import Entities
from app.answer.question import COUNTED
from app.schema import Answer
from app.text import tagged, words

_PRONOUN = re.compile(r"他们|她们|他|她|该局|该负责人|这位|那位|对方|\b(?:he|she|him|her|his|they|them|their)\b", re.I)
_WHAT_ABOUT = re.compile(r"^(?:那|那么|还有|and\s+)?(?P<entity>.+?)(?:呢|的呢|怎么样|如何)[？?。]?$|^what about (?P<en>.+?)\??$", re.I)
_ELLIPTICAL = re.compile(r"^(?:具体|还|另外|此外|除了|那|其中|这方面|这个|what else|and\b)", re.I)


@dataclass(frozen=True)
class Turn:
    """An earlier exchange: what was asked, what it was resolved to, who the answer quoted."""

    question: str
    resolved: str = ""
    speakers: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()  # what its answer quoted (nothing for a refusal)

    @property
    def text(self) -> str:
        return self.resolved or self.question

    @classmethod
    def of(cls, answer: Answer) -> Turn:
        """The turn an answer ends."""
        return cls(
            answer.question, answer.resolved_question or answer.question,
            tuple(c.chunk.voice_at(c.quote_start, c.quote_end)[0] for c in answer.citations),
            () if answer.refused else tuple(c.quote for c in answer.citations),
        )


def recent(history: list[Turn] | None, turns: int) -> list[Turn]:
    """The last `turns` turns of a conversation: all that follow-ups are resolved against."""
    history = list(history or [])
    return history[max(len(history) - turns, 0):] if turns else []


class TurnMemory:
    """Turns this server answered, keyed by the conversation that led to them (the question and up to
    `depth` questions before it), so a follow-up sent with its earlier questions finds whom and what
    they quoted without answering them again. Bounded: the least recently used are forgotten."""

    def __init__(self, depth: int, size: int = 1024) -> None:
        self.depth, self.size = depth, size
        self._turns: OrderedDict[tuple[str, ...], Turn] = OrderedDict()
        self._lock = threading.Lock()

    def _key(self, conversation: list[str]) -> tuple[str, ...]:
        return tuple(conversation[max(len(conversation) - self.depth - 1, 0):])

    def get(self, conversation: list[str]) -> Turn | None:
        """The turn that answered conversation[-1] after the questions before it, if remembered."""
        with self._lock:
            key = self._key(conversation)
            if key in self._turns:
                self._turns.move_to_end(key)
            return self._turns.get(key)

    def put(self, conversation: list[str], turn: Turn) -> None:
        with self._lock:
            self._turns[self._key(conversation)] = turn
            self._turns.move_to_end(self._key(conversation))
            while len(self._turns) > self.size:
                self._turns.popitem(last=False)


# "他还提到了什么？": something the last answer did not already say.
_MORE = re.compile(r"还|另外|此外|其他|其它|别的|\b(?:else|also|other|another|more)\b", re.I)
# "郑州在这方面有什么动作": a pointer to what the last answer was about.
_TOPIC_POINTER = re.compile(r"这方面|这一方面|这件事|这一点|这个问题|此事|上述|\bin this (?:area|respect|regard)\b|\bon this\b", re.I)
TOPIC_WORDS = 4
ELLIPSIS_WORDS = 2
_TITLED = re.compile(r"《[^》]*》")


@dataclass(frozen=True)
class Said:
    """What the last answer quoted, when the question asks beyond it. `strict`: never repeat it, because
    the resolved question carries that answer's own words ("这方面" -> its topic) and would find it again."""

    quotes: tuple[str, ...] = ()
    strict: bool = False


def already_said(question: str, history: list[Turn]) -> Said:
    """The last answer's quotes when the question asks for more ("他还提到了什么？") or points at its topic."""
    if not history or not history[-1].quotes:
        return Said()
    if _TOPIC_POINTER.search(question):
        return Said(history[-1].quotes, strict=True)
    return Said(history[-1].quotes) if _MORE.search(question) else Said()


def resolve(question: str, history: list[Turn], entities: Entities, idf: Callable[[str], float] | None = None) -> str:
    """The question made self-contained using earlier turns: who it is about, and (given idf) what
    "这方面" points to, as the most specific words of the last answer's first quote; an elliptical
    follow-up ("目前签约了多少？") gets the two most specific."""
    resolved = _resolve_subject(question, history, entities)
    last = history[-1] if history else None
    if idf is None or last is None or not last.quotes:
        return resolved
    item = _item_pointed(question, len(last.quotes))
    if item is not None:
        # "第二种模式涉及多大面积？" after an answer listing two: about what its second quote says.
        return _with_topic(resolved, _specific(resolved, last.quotes[item], _mentioned(resolved, entities), idf, TOPIC_WORDS))
    pointer = bool(_TOPIC_POINTER.search(question))
    if pointer and _own_topic(question, entities):
        return resolved  # "工业投资这方面呢？" names its topic: 这方面 is 工业投资 itself
    if not pointer and (swaps_subject(question) or not elliptical(question, entities) or _names_a_thing(question) or _MORE.search(question)):
        # The last quote is not what these are about: "那枝江的呢？" asks the same of another,
        # "那未来产业重点布局哪些？" names its own topic, "还提到了什么？" asks for something else.
        return resolved
    if pointer:
        return _with_topic(resolved, _specific(resolved, last.quotes[0], _mentioned(resolved, entities), idf, TOPIC_WORDS))
    # An elliptical follow-up goes on about what the quote is about, which its opening clauses say
    # ("另一种模式是成套改造。涉及15万方，将通过拆除重建…": 成套改造, not 拆除).
    clauses = re.split(r"(?<=[，,。；;：:！？!?])", last.quotes[0])
    mentioned = _mentioned(resolved, entities)
    for end in range(1, len(clauses) + 1):
        topic = _specific(resolved, "".join(clauses[:end]), mentioned, idf, ELLIPSIS_WORDS)
        if len(topic) >= ELLIPSIS_WORDS or end == len(clauses):
            return _with_topic(resolved, topic)
    return resolved


def _with_topic(resolved: str, topic: list[str]) -> str:
    return f"（{' '.join(topic)}）{resolved}" if topic else resolved


def _mentioned(resolved: str, entities: Entities) -> set[str]:
    """The people, departments and cities a question names."""
    return {n for names in entities.find(resolved).values() for n in names}


def _specific(resolved: str, quote: str, mentioned: set[str], idf: Callable[[str], float], count: int) -> list[str]:
    """The `count` most specific words of a quote a question follows up on (not the names it already
    has, `mentioned`), in the quote's order."""
    # What the quote says, not what it is called: titles, ordinals and figures name things.
    said = words(_TITLED.sub(" ", quote))
    candidates = [
        w for w in dict.fromkeys(said)
        if len(w) >= 2 and not COUNTED.search(w) and w not in resolved and not any(w in m for m in mentioned)
    ]
    best = set(sorted(candidates, key=lambda w: said.count(w) * idf(w), reverse=True)[:count])
    return [w for w in candidates if w in best]


# "第二种模式…", "后者…": one item of the last answer's list.
_ITEM_POINTER = re.compile(r"第([一二三四五六七八九])(?:种|个|项|条|点|类)|(前者|后者)")


def _item_pointed(question: str, quotes: int) -> int | None:
    """Which of the last answer's quotes a question points at by its place; None when it points at
    none, or the answer had only one."""
    match = _ITEM_POINTER.search(question)
    if match is None or quotes < 2:
        return None
    if match.group(2):
        return 0 if match.group(2) == "前者" else quotes - 1
    index = "一二三四五六七八九".index(match.group(1))
    return index if index < quotes else None


def elliptical(question: str, entities: Entities) -> bool:
    """A follow-up naming no one and too short to carry its own topic ("目前签约了多少？", "具体是哪些？")."""
    return not any(entities.find(question).values()) and (bool(_ELLIPTICAL.match(question.strip())) or len(question.strip()) <= 12)


def _names_a_thing(question: str) -> bool:
    """Whether a question names a thing of its own: a noun of two characters or more that is not filler."""
    return any(
        len(w) >= 2 and (flag.startswith("n") or flag in ("vn", "x")) and re.fullmatch(r"[\u4e00-\u9fff]+", w) and not _FILLER.fullmatch(w)
        for w, flag in tagged(question)
    )


def _own_topic(question: str, entities: Entities) -> bool:
    """Whether a question names a topic of its own beside its pointer ("工业投资这方面呢？"); who or
    where ("郑州在这方面…") is not a topic."""
    rest = _TOPIC_POINTER.sub(" ", question)
    named = {n for names in entities.find(rest).values() for n in names}
    places = {w for w, flag in tagged(rest) if flag.startswith("ns")}
    return any(len(w) >= 2 and not _FILLER.fullmatch(w) and w not in named and w not in places for w in words(rest))


_FILLER = re.compile(r"那么?|还有|怎么样|如何|情况|有什么|什么|动作|打算|举措|措施|做法|对应|相应|呢")


_PERSONAL = re.compile(r"他们|她们|他|她|\b(?:he|she|him|her|his)\b", re.I)


def unresolved_pronoun(question: str, resolved: str, entities: Entities) -> str:
    """The personal pronoun ("他", "he") a question still holds after resolution when it names nobody
    itself: there was no one earlier it can mean."""
    match = _PERSONAL.search(resolved)
    if not match or not _PERSONAL.search(question):
        return ""
    found = entities.find(question)
    return "" if found["person"] or found["department"] else match.group(0)


def _resolve_subject(question: str, history: list[Turn], entities: Entities) -> str:
    """The question with who it is about filled in from the latest earlier turn that names someone."""
    previous = next((t for t in reversed(history) if _subject(t, entities)), None)
    if previous is None:
        return question
    mine = entities.find(question)
    if match := _WHAT_ABOUT.match(question.strip()):
        entity = (match.group("entity") or match.group("en") or "").strip()
        kind = next((k for k, names in mine.items() if names), None)
        if kind and len(entity) <= 12:
            found = entities.find(previous.text)
            theirs = found[kind]
            if not theirs and kind in ("person", "department"):
                # A person and a department fill the same slot: "王智明提到的…" then "那发改委呢？"
                theirs = found["department" if kind == "person" else "person"]
            if theirs:
                return previous.text.replace(theirs[0], mine[kind][0], 1)
            return f"{mine[kind][0]} {previous.text}"
    subject = _subject(previous, entities)
    if _PRONOUN.search(question) and not mine["person"] and not mine["department"]:
        return _PRONOUN.sub(_titled(question, previous, entities) or subject, question, count=1)
    if elliptical(question, entities):
        # What the earlier question was about, and whom it named; someone its answer merely quoted
        # is not what "目前签约了多少？" is about.
        named = _named(previous, entities)
        topic = _topic(history[-1].question, entities)
        carried = " ".join(x for x in (named, topic) if x)
        return f"（{carried}）{question}" if carried else question
    return question


_THIS_TITLED = re.compile(r"(?:这位|那位|该)([\u4e00-\u9fff]{1,6}?)(?:说|表示|提到|介绍|认为|的|在|是|对|还|[，,？?]|$)")


def _titled(question: str, previous: Turn, entities: Entities) -> str:
    """Whom "这位会长" means: the one person of the earlier answer (else of the articles) whose
    position holds that title."""
    match = _THIS_TITLED.search(question)
    if not match:
        return ""
    title = match.group(1)
    cited = [p for p in dict.fromkeys(previous.speakers) if title in entities.positions.get(p, "")]
    if len(cited) == 1:
        return cited[0]
    anyone = [p for p, position in entities.positions.items() if title in position]
    # Among them, those of the articles the earlier answer quoted.
    seen = {entities.articles.get(p) for p in previous.speakers}
    nearby = [p for p in anyone if entities.articles.get(p) in seen]
    for group in (nearby, anyone):
        if len(group) == 1:
            return group[0]
    return ""


def _named(turn: Turn, entities: Entities) -> str:
    """The person or department a turn's question names itself."""
    found = entities.find(turn.text)
    return (found["person"] or found["department"] or found["city"] or [""])[0]


def swaps_subject(question: str) -> bool:
    """Whether a follow-up asks the same about someone else ("那商务局呢？", "what about the mayor?")."""
    return bool(_WHAT_ABOUT.match(question.strip()))


def _subject(turn: Turn, entities: Entities) -> str:
    """Who or what the turn is about: a named person, else a person its answer quoted, else a department."""
    found = entities.find(turn.text)
    if found["person"]:
        return found["person"][0]
    named = [s for s in turn.speakers if s in entities.people]
    if found["department"]:
        department = entities.departments[found["department"][0]]
        # "市工信局局长" in the question and 王智明 quoted in the answer: carry the person.
        person = next((s for s in named if entities.people[s] == department), "")
        return person or found["department"][0]
    return named[0] if named else (found["city"][0] if found["city"] else "")


def _topic(text: str, entities: Entities) -> str:
    """Up to three content words of the earlier question that are not names."""
    mentioned = {n for names in entities.find(text).values() for n in names}
    terms = [w for w in words(text) if len(w) >= 2 and not any(w in m or m in w for m in mentioned)]
    return " ".join(terms[:3])
