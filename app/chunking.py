"""Article -> sections (one per interview or speaker) -> sentence-aligned passages (Chunk)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.clean import SUBTITLE, is_body, is_headline_like
from app.metadata import Byline, Person, parse_byline, parse_interviewee, parse_speaker
from app.schema import Article, Chunk, Section
from app.text import clause_spans, is_cjk, sentence_spans

# Share of a paragraph's character bigrams found in the next speaker's paragraph, above which
# the paragraph is read as that speaker's lead-in.
LEAD_IN_OVERLAP = 0.12


@dataclass(frozen=True)
class ChunkSettings:
    max_chars: int = 300
    min_chars: int = 100

    def __post_init__(self) -> None:
        if not 20 <= self.min_chars <= self.max_chars:
            raise ValueError("chunk sizes need 20 <= min_chars <= max_chars")


@dataclass(frozen=True)
class _Line:
    text: str
    start: int
    end: int


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append(_Line(line, pos, pos + len(line)))
        pos += len(line) + 1
    return [line for line in out if line.text.strip()]


def split_sections(article: Article) -> list[Section]:
    """Interviews when the article has "——访…" subtitles, otherwise speaker sections."""
    lines = _lines(article.text)
    if any(SUBTITLE.match(line.text) for line in lines):
        return _interview_sections(article, lines)
    return _speaker_sections(article, lines)


def _interview_sections(article: Article, lines: list[_Line]) -> list[Section]:
    subtitles = [i for i, line in enumerate(lines) if SUBTITLE.match(line.text)]
    starts = []
    for s in subtitles:
        first = s
        # The headline is the unpunctuated line or two just above the "——访" subtitle.
        while first > 0 and s - first < 2 and is_headline_like(lines[first - 1].text) and not parse_byline(lines[first - 1].text):
            first -= 1
        starts.append(first)
    sections: list[Section] = []
    if starts[0] > 0:
        sections.append(_section(article, 0, "header", article.title, lines[: starts[0]]))
    bounds = starts + [len(lines)]
    for n, (s, first) in enumerate(zip(subtitles, starts)):
        block = lines[first : bounds[n + 1]]
        person = parse_interviewee(lines[s].text) or Person("", "", "")
        title = " ".join(line.text for line in lines[first:s]) or lines[s].text
        byline = next((b for b in map(parse_byline, (line.text for line in block)) if b), None)
        sections.append(
            _section(article, len(sections), "interview", title, block, person, byline, subtitle=lines[s].text)
        )
    return sections


def _speaker_sections(article: Article, lines: list[_Line]) -> list[Section]:
    """Summary first, then a section each time a new speaker opens a paragraph."""
    groups: list[tuple[Person | None, list[_Line]]] = [(None, [])]
    opener = 0  # index, inside the current group, of the paragraph where its speaker starts
    for line in lines:
        person = parse_speaker(line.text) if is_body(line.text) else None
        if not person:
            groups[-1][1].append(line)
            continue
        lead = groups[-1][1]
        # A paragraph that sets the scene for the speaker (same topic) belongs with the speaker.
        carried = [lead.pop()] if len(lead) - 1 > opener and _is_lead_in(lead[-1], line) else []
        groups.append((person, carried + [line]))
        opener = len(carried)
    byline = next((b for b in (parse_byline(line.text) for line in lines) if b), None)
    sections = []
    for person, block in groups:
        if not block:
            continue
        kind, title = ("speaker", person.position + person.name) if person else ("summary", article.title)
        sections.append(_section(article, len(sections), kind, title, block, person, byline))
    return sections


def _is_lead_in(line: _Line, speaker_line: _Line) -> bool:
    if not is_body(line.text) or parse_byline(line.text):
        return False
    ours, theirs = _bigrams(line.text), _bigrams(speaker_line.text)
    return bool(ours) and len(ours & theirs) / len(ours) >= LEAD_IN_OVERLAP


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1) if is_cjk(text[i]) and is_cjk(text[i + 1])}


def _section(
    article: Article,
    index: int,
    kind: str,
    title: str,
    block: list[_Line],
    person: Person | None = None,
    byline: Byline | None = None,
    subtitle: str = "",
) -> Section:
    person = person or Person("", "", "")
    return Section(
        id=f"{article.id}#s{index}",
        kind=kind,
        title=title.strip().lstrip("—-－ ").strip() or title.strip(),
        start=block[0].start,
        end=block[-1].end,
        subtitle=subtitle,
        speaker=person.name,
        position=person.position,
        department=person.department,
        reporters=byline.reporters if byline else (),
        correspondents=byline.correspondents if byline else (),
    )


def chunk_article(article: Article, settings: ChunkSettings = ChunkSettings()) -> list[Chunk]:
    """All passages of an article, in reading order, each a verbatim span of article.text."""
    chunks: list[Chunk] = []
    for section in split_sections(article):
        for start, end in pack_spans(article.text, section.start, section.end, settings):
            chunks.append(_chunk(article, section, len(chunks), start, end))
    return chunks


def _chunk(article: Article, section: Section, ordinal: int, start: int, end: int) -> Chunk:
    text = article.text[start:end]
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]
    return Chunk(
        id=f"{article.id}:{ordinal:03d}-{digest}",
        article_id=article.id,
        section_id=section.id,
        ordinal=ordinal,
        start=start,
        end=end,
        text=text,
        article_title=article.title,
        date=article.date,
        section_title=section.title,
        section_kind=section.kind,
        speaker=section.speaker,
        position=section.position,
        department=section.department,
        newspaper=article.newspaper,
        source=article.source,
    )


def pack_spans(text: str, start: int, end: int, settings: ChunkSettings) -> list[tuple[int, int]]:
    """Greedily pack whole sentences into spans of at most max_chars (long sentences at commas)."""
    units: list[tuple[int, int]] = []
    for a, b in sentence_spans(text, start, end):
        units.extend(_fit(text, a, b, settings.max_chars))
    spans: list[tuple[int, int]] = []
    for a, b in units:
        if spans and b - spans[-1][0] <= settings.max_chars:
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    # A short tail reads better with its neighbour than alone.
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < settings.min_chars and spans[-1][1] - spans[-2][0] <= settings.max_chars + settings.min_chars // 2:
        spans[-2:] = [(spans[-2][0], spans[-1][1])]
    return spans


def _fit(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    if end - start <= limit:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    for a, b in clause_spans(text, start, end):
        pieces.extend((i, min(i + limit, b)) for i in range(a, b, limit))
    return pieces
