"""Repair the OCR artefacts of scanned newspaper pages, conservatively, logging every change.

Works paragraph by paragraph (a paragraph is one raw line); the output has one paragraph a line.
Only "body" paragraphs (prose with punctuation) are touched by the space and duplicate repairs, so
headlines such as "对标先进找差距 提升站位再出发" keep the spaces that separate their phrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
DATE_LINE = re.compile(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|^\s*\d{4}-\d{2}-\d{2}\s*$")
_BODY_PUNCT = re.compile(r"[，,。；;！？!?、]")
_ENDS_SENTENCE = re.compile("[。！？!?；;：:…”\"’）)】」』]$")
_STARTS_CONTINUATION = re.compile(f"^[{CJK}0-9]")


@dataclass
class _Para:
    text: str
    line: int  # 1-based raw line number of its first line


def clean(raw: str) -> tuple[str, list[Repair]]:
    """Return the cleaned text (one paragraph a line) and the repairs that produced it."""
    repairs: list[Repair] = []
    paras = _paragraphs(raw)
    for para in paras:
        para.text = _fix_subtitle_dash(para, repairs)
        if is_body(para.text):
            para.text = _remove_wrap_spaces(para, repairs)
            para.text = _remove_tandem_repeats(para, repairs)
    paras = _join_broken_paragraphs(paras, repairs)
    return "\n".join(p.text for p in paras), repairs


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
    text = para.text
    # Titles quoted in 《》 keep their own phrase spaces ("《天津:融入大战略 逐梦新征程》").
    titles = [m.span() for m in _BOOK_TITLE.finditer(text)]
    for match in reversed(list(_WRAP_SPACE.finditer(text))):
        if any(a < match.start() < b for a, b in titles):
            continue
        before = _snippet(text, match.start(), match.end())
        text = text[: match.start()] + text[match.end() :]
        after = _snippet(text, match.start(), match.start())
        repairs.append(Repair("cjk_space", para.line, before, after))
    repairs[:] = _in_line_order(repairs)
    return text


def _in_line_order(repairs: list[Repair]) -> list[Repair]:
    # Spaces are removed right to left (offsets stay valid); report them left to right.
    head = [r for r in repairs if r.kind != "cjk_space"]
    spaces = [r for r in repairs if r.kind == "cjk_space"]
    by_line: dict[int, list[Repair]] = {}
    for r in spaces:
        by_line.setdefault(r.line, []).append(r)
    ordered = [r for line in sorted(by_line) for r in reversed(by_line[line])]
    return head + ordered


def _remove_tandem_repeats(para: _Para, repairs: list[Repair]) -> str:
    text = para.text
    pos = 0
    while match := _TANDEM.search(text, pos):
        unit = match.group(1)
        if sum(1 for c in unit if "\u4e00" <= c <= "\u9fff") < 4 or len(set(unit)) < 4:
            pos = match.start() + 1
            continue
        cut = match.start() + len(unit)
        repairs.append(Repair("duplicate_fragment", para.line, _snippet(text, match.start(), match.end()), unit))
        text = text[:cut] + text[cut + len(unit) :]
        pos = match.start()
    return text


def _join_broken_paragraphs(paras: list[_Para], repairs: list[Repair]) -> list[_Para]:
    """Rejoin sentences split by a page or column break, and bylines split across lines."""
    out: list[_Para] = []
    for index, para in enumerate(paras):
        prev = out[-1] if out else None
        if prev is not None and _is_broken_byline(prev.text, para.text):
            before = prev.text[-8:] + "⏎" + para.text[:8]
            prev.text = f"{prev.text} {para.text}"
            repairs.append(Repair("paragraph_join", para.line, before, prev.text[-20:]))
            continue
        following = paras[index + 1] if index + 1 < len(paras) else None
        if prev is not None and _continues(out, para, following):
            repairs.append(Repair("paragraph_join", para.line, prev.text[-8:] + "⏎" + para.text[:8], prev.text[-8:] + para.text[:8]))
            prev.text += para.text
            continue
        out.append(_Para(para.text, para.line))
    return out


def _is_broken_byline(prev: str, line: str) -> bool:
    match = BYLINE.match(prev)
    return bool(match and not match.group("names") and len(line) <= 40 and not _BODY_PUNCT.search(line))


def _continues(done: list[_Para], para: _Para, following: _Para | None) -> bool:
    prev = done[-1].text
    if _ENDS_SENTENCE.search(prev) or not _STARTS_CONTINUATION.match(para.text):
        return False
    if not is_body(para.text) or DATE_LINE.match(prev) or BYLINE.match(prev) or SUBTITLE.match(prev):
        return False
    if is_body(prev):
        return True
    # A short unpunctuated fragment ("二是抓好重大项目的") between two prose paragraphs.
    before_is_body = len(done) >= 2 and is_body(done[-2].text)
    return before_is_body and " " not in prev and not (following and SUBTITLE.match(following.text))
