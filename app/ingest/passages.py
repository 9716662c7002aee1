"""Article -> sections (one per interview or speaker) -> sentence-aligned passages (Chunk)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace

from app.ingest.clean import SUBTITLE, is_body, is_headline_like
from app.ingest.metadata import Byline, Person, department_of, parse_byline, parse_interviewee, parse_speaker
from app.ingest.speakers import TITLES, Voice, find_people, main_person, voices
from app.ingest.speakers import Person as Speaker
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


def split_sections(article: Article, people: dict[str, Speaker] | None = None) -> list[Section]:
    """Interviews when the article has "——访…" subtitles (on a line of their own or inside one),
    an interview of one person when the article says it is one, otherwise speaker sections.
    `people` are the article's titled people (find_people), when the caller has them already."""
    people = find_people(article.text) if people is None else people
    lines = _split_subtitles(_lines(article.text), people)
    if any(SUBTITLE.match(line.text) for line in lines):
        return _interview_sections(article, lines)
    sections = _speaker_sections(article, lines)
    interviewee = main_person(article.text, people)
    if interviewee is not None and not any(s.kind == "speaker" for s in sections):
        # "专访", "接受…采访", "答记者问": the whole article is one interview.
        return [Section(
            id=f"{article.id}#s0", kind="interview", title=article.title, start=lines[0].start, end=lines[-1].end,
            speaker=interviewee.name, position=interviewee.position, department=department_of(interviewee.position),
        )]
    return sections


_MID_SUBTITLE = re.compile(r"——访")


def _split_subtitles(lines: list[_Line], people: dict[str, Speaker]) -> list[_Line]:
    """Cut a line where a "——访…" subtitle sits inside it (an article stored as one line): the headline
    before it, the subtitle up to the interviewee's name, and the text after."""
    out: list[_Line] = []
    for line in lines:
        match = _MID_SUBTITLE.search(line.text)
        if not match or SUBTITLE.match(line.text):
            out.append(line)
            continue
        text = line.text
        after = text[match.end() : match.end() + 60]
        named = sorted((after.find(n) + len(n), n) for n, p in people.items() if p.name and n in after)
        if not named:
            out.append(line)
            continue
        cut_end = match.end() + named[0][0]
        head_start = max(text.rfind(c, 0, match.start()) for c in "。！？；") + 1
        pieces = [(0, head_start), (head_start, match.start()), (match.start(), cut_end), (cut_end, len(text))]
        for a, b in pieces:
            piece = text[a:b]
            stripped = piece.strip()
            if stripped:
                offset = piece.find(stripped)
                out.append(_Line(stripped, line.start + a + offset, line.start + a + offset + len(stripped)))
    return out


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
        person = _interviewee(lines[s].text)
        title = " ".join(line.text for line in lines[first:s]) or lines[s].text
        byline = next((b for b in map(parse_byline, (line.text for line in block)) if b), None)
        sections.append(
            _section(article, len(sections), "interview", title, block, person, byline, subtitle=lines[s].text)
        )
    return sections


def _interviewee(subtitle: str) -> Person:
    """The person a "——访…" subtitle names, found as any titled person is."""
    people = [p for p in find_people(subtitle).values() if p.name]
    if people:
        return Person(people[0].name, people[0].position, department_of(people[0].position))
    # The name closes the subtitle: whatever follows its last title ("…总领事巴图尔").
    who = subtitle.strip().removeprefix("——访")
    ends = [m.end() for m in re.finditer("|".join(TITLES), who)]
    if ends and 2 <= len(who) - ends[-1] <= 4:
        position = who[: ends[-1]]
        return Person(who[ends[-1] :], position, department_of(position))
    return parse_interviewee(subtitle) or Person("", "", "")


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
    people = find_people(article.text)
    for section in split_sections(article, people):
        interviewed = section.kind == "interview" and (section.speaker or section.position)
        default = Speaker(section.speaker, section.position) if interviewed else None
        said = [
            replace(v, start=v.start + section.start, end=v.end + section.start)
            for v in voices(article.text[section.start : section.end], people, default)
        ]
        for start, end in pack_spans(article.text, section.start, section.end, settings):
            inside = [v for v in said if start <= v.start < end]
            chunks.append(_chunk(article, section, len(chunks), start, end, inside))
    return chunks


def _chunk(article: Article, section: Section, ordinal: int, start: int, end: int, said: list[Voice] = ()) -> Chunk:  # type: ignore[assignment]
    text = article.text[start:end]
    speaker, position, department = section.speaker, section.position, section.department
    named = list(dict.fromkeys((v.name, v.position) for v in said))
    if not speaker and not position and len(named) == 1:
        # One attributed speaker in a passage of a section without one: the passage is theirs.
        speaker, position = named[0]
        department = department_of(position)
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
        speaker=speaker,
        position=position,
        department=department,
        newspaper=article.newspaper,
        source=article.source,
        voices=tuple((v.start - start, min(v.end, end) - start, v.name, v.position) for v in said),
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
