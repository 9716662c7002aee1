"""The vocabulary of the pipeline: frozen dataclasses passed between stages."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Repair:
    """One change the cleaner made to the raw text, kept so it can be audited."""

    kind: str  # cjk_space | headline_dash | duplicate_fragment | paragraph_join
    line: int  # 1-based line number in the raw file
    before: str
    after: str


@dataclass(frozen=True)
class Section:
    """A part of an article: one interview, one speaker's response, or the page header."""

    id: str
    kind: str  # header | interview | summary | speaker
    title: str
    start: int  # offsets into Article.text
    end: int
    subtitle: str = ""
    speaker: str = ""  # person's name when known
    position: str = ""  # e.g. 市工信局党组书记、局长
    department: str = ""  # e.g. 市工信局
    reporters: tuple[str, ...] = ()
    correspondents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    id: str
    source: str  # file name inside the seeds folder
    content_hash: str  # sha256 of the raw bytes
    title: str
    text: str  # cleaned text, one paragraph a line; every offset points into it
    date: str | None = None  # ISO yyyy-mm-dd
    newspaper: str = ""
    page_note: str = ""
    repairs: tuple[Repair, ...] = ()


# A paragraph opening with a numbered point ("一是…", "第二，…", "（三）…") continues its section's statement.
_NUMBERED_POINT = re.compile(r"\s*(?:[一二三四五六七八九十]是|第[一二三四五六七八九十][，、,]|[（(][一二三四五六七八九十][）)]|首先[，,]|其次[，,]|再次[，,])")


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned passage: text is article.text[start:end], verbatim."""

    id: str
    article_id: str
    section_id: str
    ordinal: int  # position of the passage in its article
    start: int
    end: int
    text: str
    article_title: str
    date: str | None
    section_title: str
    section_kind: str
    speaker: str = ""
    position: str = ""
    department: str = ""
    newspaper: str = ""
    source: str = ""
    # Who speaks in each attributed sentence: (start, end, name, position), offsets into text.
    voices: tuple[tuple[int, int, str, str], ...] = ()

    @property
    def header(self) -> str:
        """Context added to the embedded and lexical text, never to the quoted text."""
        who = f"{self.position}{self.speaker}".strip()
        others = [f"{p}{n}" for _, _, n, p in self.voices if f"{p}{n}" != who]
        parts = [f"《{self.article_title}》", self.section_title, who, *dict.fromkeys(others)]
        return " ".join(p for p in parts if p)

    def voice_at(self, start: int, end: int) -> tuple[str, str]:
        """(name, position) of whoever speaks in text[start:end]: the attributed sentence it overlaps
        most, else the section's speaker: anywhere in an interview, but in a report's speaker section
        only within a paragraph where the text has them speak ("X表示，…。…"), not in the narration
        between their statements."""
        best, size = ("", ""), 0
        for a, b, name, position in self.voices:
            overlap = min(b, end) - max(a, start)
            if overlap > size:
                best, size = (name, position), overlap
        if size:
            return best
        if self.section_kind == "interview":
            return (self.speaker, self.position)
        if self.section_kind == "speaker":
            paragraph = self.text.rfind("\n", 0, start) + 1
            if any(name == self.speaker and paragraph <= a < start for a, _, name, _ in self.voices):
                return (self.speaker, self.position)
            if _NUMBERED_POINT.match(self.text, paragraph):  # "一是…", "（二）…": a point of their statement
                return (self.speaker, self.position)
        return ("", "")

    @property
    def names(self) -> tuple[str, ...]:
        """Everyone who speaks in the passage."""
        return tuple(dict.fromkeys(n for n in (self.speaker, *(v[2] for v in self.voices)) if n))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        voices = tuple(tuple(v) for v in data.get("voices", ()))
        return cls(**{**data, "voices": voices})


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the per-retriever ranks that produced it."""

    chunk: Chunk
    score: float
    rank: int
    dense_rank: int | None = None
    lexical_rank: int | None = None
    dense_score: float | None = None
    lexical_score: float | None = None


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some articles, speakers or a date range (inclusive ISO dates)."""

    article_ids: tuple[str, ...] = ()
    speakers: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None

    def __bool__(self) -> bool:
        return bool(self.article_ids or self.speakers or self.date_from or self.date_to)

    def accepts(self, chunk: Chunk) -> bool:
        if self.article_ids and chunk.article_id not in self.article_ids:
            return False
        if self.speakers and not any(
            s and (s == name or s in position) for s in self.speakers
            for name, position in ((chunk.speaker, chunk.position), *((v[2], v[3]) for v in chunk.voices))
        ):
            return False
        if (self.date_from or self.date_to) and not chunk.date:
            return False
        if self.date_from and chunk.date and chunk.date < self.date_from:
            return False
        if self.date_to and chunk.date and chunk.date > self.date_to:
            return False
        return True


@dataclass(frozen=True)
class Citation:
    n: int
    chunk: Chunk
    quote: str
    quote_start: int  # offsets of the quote inside chunk.text
    quote_end: int


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)
    resolved_question: str | None = None
    notices: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape other tools read; keep these field names stable."""
        return {
            "question": self.question,
            "resolved_question": self.resolved_question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [
                {
                    "n": c.n,
                    "chunk_id": c.chunk.id,
                    "article_title": c.chunk.article_title,
                    "date": c.chunk.date,
                    "section": c.chunk.section_title,
                    "speaker": "".join(reversed(c.chunk.voice_at(c.quote_start, c.quote_end))),
                    "quote": c.quote,
                    "quote_start": c.quote_start,
                    "quote_end": c.quote_end,
                    "passage": c.chunk.text,
                }
                for c in self.citations
            ],
            "hits": [
                {
                    "rank": h.rank,
                    "chunk_id": h.chunk.id,
                    "score": round(h.score, 6),
                    "text": h.chunk.text,
                    "article_title": h.chunk.article_title,
                    "section": h.chunk.section_title,
                    "speaker": f"{h.chunk.position}{h.chunk.speaker}",
                }
                for h in self.hits
            ],
            "timings_ms": {name: round(ms, 1) for name, ms in self.timings_ms.items()},
            "notices": list(self.notices),
        }
