"""Repair the OCR artefacts of scanned newspaper pages, conservatively, logging every change.

Works paragraph by paragraph (a paragraph is one raw line); the output has one paragraph a line.
Only "body" paragraphs (prose with punctuation) are touched by the space and duplicate repairs, so
headlines such as "对标先进找差距 提升站位再出发" keep the spaces that separate their phrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.dates import DATE_LINE
from app.schema import Repair
from app.text import CJK, CJK_PUNCT

_CONTEXT = 8
# A space run with Chinese (or full-width punctuation) on one side and no Latin letter on the other.
_WRAP_SPACE = re.compile(
    f"(?<=[{CJK}{CJK_PUNCT}])[ \t\u3000]+(?=[{CJK}{CJK_PUNCT}0-9\"“,.;:%])"
    f"|(?<=[0-9%\",.;:])[ \t\u3000]+(?=[{CJK}{CJK_PUNCT}])"
)
# Column layouts repeat a line-end fragment: "…意见,加速量发展系列政策意见,加速推进…".
_TANDEM = re.compile(r"(.{6,40}?)\1", re.S)
_BOOK_TITLE = re.compile(r"《[^《》\n]{1,60}》")
_SUBTITLE_DASH = re.compile(r"^(?:-{1,2}|[—―─－一]{1,2})\s*(?=访\S)")
SUBTITLE = re.compile(r"^——访(?P<who>\S.{1,58})$")
BYLINE = re.compile(r"^(?P<outlet>[^\s，,。:：]{0,24}?)记者(?:\s+(?P<names>.*))?$")
_BODY_PUNCT = re.compile(r"[，,。；;！？!?、]")
_ENDS_SENTENCE = re.compile("[。！？!?；;：:…”\"’）)】」』]$")
_STARTS_CONTINUATION = re.compile(f"^[{CJK}0-9]")


@dataclass
class _Para:
    text: str
    line: int  # 1-based raw line number of its first line


def clean(raw: str) -> tuple[str, list[Repair]]:
    """Return the cleaned text (one paragraph a line) and the repairs that produced it.

    Work is linear in the size of the text. Repairs are listed stage by stage: headline dashes and
    duplicate fragments in text order, then removed spaces line by line (left to right within a
    line), then paragraph joins.
    """
    edits: list[Repair] = []
    spaces: list[Repair] = []
    paras = _paragraphs(raw)
    for para in paras:
        para.text = _fix_subtitle_dash(para, edits)
        if is_body(para.text):
            para.text = _remove_wrap_spaces(para, spaces)
            para.text = _remove_tandem_repeats(para, edits)
    joins: list[Repair] = []
    paras = _join_broken_paragraphs(paras, joins)
    return "\n".join(p.text for p in paras), edits + spaces + joins


def is_body(line: str) -> bool:
    """Prose rather than a headline, byline or date line."""
    if DATE_LINE.match(line) or BYLINE.match(line) or SUBTITLE.match(line):
        return False
    return bool(_BODY_PUNCT.search(line)) or len(line) >= 60


def is_headline_like(line: str) -> bool:
    """Short, unpunctuated, or made of space-separated phrases: the shape of a newspaper title."""
    if is_body(line) or DATE_LINE.match(line) or BYLINE.match(line) or SUBTITLE.match(line):
        return False
    return " " in line.strip() or len(line) <= 40


def _paragraphs(raw: str) -> list[_Para]:
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    paras = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip().replace("\u00a0", " ")
        if line:
            paras.append(_Para(line, number))
    return paras


def _snippet(text: str, start: int, end: int) -> str:
    return text[max(0, start - _CONTEXT) : end + _CONTEXT]


def _fix_subtitle_dash(para: _Para, repairs: list[Repair]) -> str:
    match = _SUBTITLE_DASH.match(para.text)
    if not match or len(para.text) > 60 or _BODY_PUNCT.search(para.text.replace("、", "")):
        return para.text
    fixed = "——" + para.text[match.end() :]
    if fixed != para.text:
        repairs.append(Repair("headline_dash", para.line, para.text[: match.end() + 4], fixed[:6]))
    return fixed


def _remove_wrap_spaces(para: _Para, repairs: list[Repair]) -> str:
    """Drop wrap spaces in one pass; each repair shows the text as if the spaces to its right were
    already gone and those to its left not yet (the audit format of earlier versions)."""
    text = para.text
    # Titles quoted in 《》 keep their own phrase spaces ("《天津:融入大战略 逐梦新征程》").
    titles = [m.span() for m in _BOOK_TITLE.finditer(text)]
    spans: list[tuple[int, int]] = []
    title = 0
    for match in _WRAP_SPACE.finditer(text):
        while title < len(titles) and titles[title][1] <= match.start():
            title += 1
        if title < len(titles) and titles[title][0] < match.start() < titles[title][1]:
            continue
        spans.append(match.span())
    if not spans:
        return text
    pieces, kept_from = [], 0
    for start, end in spans:
        pieces.append(text[kept_from:start])
        kept_from = end
    pieces.append(text[kept_from:])
    cleaned = "".join(pieces)
    removed = 0
    for start, end in spans:
        right = cleaned[start - removed : start - removed + _CONTEXT]
        left = text[max(0, start - _CONTEXT) : start]
        repairs.append(Repair("cjk_space", para.line, left + text[start:end] + right, left + right))
        removed += end - start
    return cleaned


_MAX_UNIT = 40  # the longest fragment _TANDEM finds repeated


def _remove_tandem_repeats(para: _Para, repairs: list[Repair]) -> str:
    """Remove fragments repeated back to back, left to right, without rebuilding the text each time.

    The text still to scan is `head + src[offset:]`: `head` (at most _MAX_UNIT characters) is a kept
    unit that may repeat again; everything before it is final and sits in `kept`.
    """
    src = para.text
    kept: list[str] = []
    tail = ""  # the last _CONTEXT characters of the final text: the left context of a repair
    head, offset = "", 0
    while found := _next_tandem(head, src, offset):
        start, end, unit, right = found
        piece, head, offset = _take(head, src, offset, start)
        if sum(1 for c in unit if "\u4e00" <= c <= "\u9fff") < 4 or len(set(unit)) < 4:
            # Not a layout repeat: keep its first character and look again from the next one.
            first, head, offset = _take(head, src, offset, 1)
            piece += first
        else:
            repairs.append(Repair("duplicate_fragment", para.line, (tail + piece[-_CONTEXT:])[-_CONTEXT:] + right, unit))
            _, head, offset = _take(head, src, offset, end - start)
            head = unit + head
        kept.append(piece)
        tail = (tail + piece[-_CONTEXT:])[-_CONTEXT:]
    kept.append(head + src[offset:])
    return "".join(kept)


def _next_tandem(head: str, src: str, offset: int) -> tuple[int, int, str, str] | None:
    """The leftmost repeat in head + src[offset:]: its span there, the unit, and the repeat with its
    right context. A repeat starting inside head is at most 2 * _MAX_UNIT long, so a short window
    finds it; any other starts in src itself."""
    if head:
        window = head + src[offset : offset + 2 * _MAX_UNIT + _CONTEXT]
        match = _TANDEM.search(window)
        if match and match.start() < len(head):
            return match.start(), match.end(), match.group(1), window[match.start() : match.end() + _CONTEXT]
    match = _TANDEM.search(src, offset)
    if match is None:
        return None
    shift = len(head) - offset
    return match.start() + shift, match.end() + shift, match.group(1), src[match.start() : match.end() + _CONTEXT]


def _take(head: str, src: str, offset: int, n: int) -> tuple[str, str, int]:
    """Split the first n characters off head + src[offset:]; returns them and the new (head, offset)."""
    if n <= len(head):
        return head[:n], head[n:], offset
    rest = n - len(head)
    return head + src[offset : offset + rest], "", offset + rest


def _join_broken_paragraphs(paras: list[_Para], repairs: list[Repair]) -> list[_Para]:
    """Rejoin sentences split by a page or column break, and bylines split across lines."""
    out: list[_Joined] = []
    for index, para in enumerate(paras):
        prev = out[-1] if out else None
        if prev is not None and _is_broken_byline(prev, para.text):
            before = prev.end[-8:] + "⏎" + para.text[:8]
            prev.add(" " + para.text)
            repairs.append(Repair("paragraph_join", para.line, before, prev.end[-20:]))
            continue
        following = paras[index + 1] if index + 1 < len(paras) else None
        if prev is not None and _continues(out, para, following):
            repairs.append(Repair("paragraph_join", para.line, prev.end[-8:] + "⏎" + para.text[:8], prev.end[-8:] + para.text[:8]))
            prev.add(para.text)
            continue
        out.append(_Joined(para))
    return [_Para(joined.text, joined.line) for joined in out]


_VIEW_WORDS = 40  # non-space characters at a paragraph's start that decide the line patterns below
_NON_SPACE = re.compile(r"\S")


class _Joined:
    """An output paragraph built from joined lines. What the join tests read is kept up to date as
    lines are added, so a paragraph of thousands of joined lines is never copied or scanned again."""

    def __init__(self, para: _Para) -> None:
        self.line = para.line
        self.parts: list[str] = []
        self.length = 0
        self.view = ""  # the text up to its _VIEW_WORDS-th non-space character
        self.view_words = 0
        self.end = ""  # the last 20 characters
        self.punct = self.space = False
        self.add(para.text)

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        self.length += len(piece)
        self.end = (self.end + piece[-20:])[-20:]
        self.punct = self.punct or bool(_BODY_PUNCT.search(piece))
        self.space = self.space or " " in piece
        if self.view_words < _VIEW_WORDS:
            cut = len(piece)
            for match in _NON_SPACE.finditer(piece):
                self.view_words += 1
                if self.view_words == _VIEW_WORDS:
                    cut = match.end()
                    break
            self.view += piece[:cut]

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def byline(self) -> re.Match[str] | None:
        # A byline is decided by its first 27 non-space characters; the view ends on a non-space
        # character, so the names group is empty on the view exactly when it is on the whole text.
        return BYLINE.match(self.view)

    def is_marker(self) -> bool:
        """A date line, byline or interview subtitle (a subtitle is at most 62 characters)."""
        subtitle = self.length <= 62 and SUBTITLE.match(self.text)
        return bool(DATE_LINE.match(self.view) or self.byline() or subtitle)

    def is_body(self) -> bool:
        """Same as is_body(self.text)."""
        return not self.is_marker() and (self.punct or self.length >= 60)


def _is_broken_byline(prev: _Joined, line: str) -> bool:
    match = prev.byline()
    return bool(match and not match.group("names") and len(line) <= 40 and not _BODY_PUNCT.search(line))


def _continues(done: list[_Joined], para: _Para, following: _Para | None) -> bool:
    prev = done[-1]
    if _ENDS_SENTENCE.search(prev.end) or not _STARTS_CONTINUATION.match(para.text):
        return False
    if not is_body(para.text) or prev.is_marker():
        return False
    if prev.is_body():
        return True
    # A short unpunctuated fragment ("二是抓好重大项目的") between two prose paragraphs.
    before_is_body = len(done) >= 2 and done[-2].is_body()
    return before_is_body and not prev.space and not (following and SUBTITLE.match(following.text))
