"""Visible text of .docx and HTML files, within bounds a hostile file cannot stretch.

A .docx is a zip: one megabyte can unpack to gigabytes, so its parts are unpacked and counted before
any parser sees them. What either format yields is capped in paragraphs and characters, and parser
failures become an InputError that names the file and says what to do.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from html.parser import HTMLParser

from app.errors import InputError

# Photos make a real document's parts add up to about its own size (at most 20 MB).
MAX_UNZIPPED_BYTES = 32 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
# Far beyond a newspaper article, well within memory and a few seconds of work.
MAX_PARAGRAPHS = 50_000
MAX_TEXT_CHARS = 5_000_000
SPLIT_HINT = "split it into smaller files"
_RESAVE = "open and re-save it in Word or LibreOffice"
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError)


def check_extent(name: str, paragraphs: int, chars: int) -> None:
    """Refuse text with more paragraphs or characters than any article has."""
    if paragraphs > MAX_PARAGRAPHS:
        raise InputError(f"{name} holds more than {MAX_PARAGRAPHS:,} paragraphs; an article has far fewer", SPLIT_HINT)
    if chars > MAX_TEXT_CHARS:
        raise InputError(f"{name} holds more than {MAX_TEXT_CHARS:,} characters of text; an article has far fewer", SPLIT_HINT)


def docx_text(name: str, data: bytes) -> str:
    """Paragraphs and table cells of a .docx, once its parts are known to unpack to a bounded size."""
    from docx import Document
    from docx.opc.exceptions import OpcError
    from lxml.etree import LxmlError

    check_docx_parts(name, data)
    try:
        document = Document(io.BytesIO(data))
        paragraphs = [p.text for p in document.paragraphs]
        check_extent(name, len(paragraphs), 0)
        for table in document.tables:
            paragraphs.extend(cell.text for row in table.rows for cell in row.cells)
            check_extent(name, len(paragraphs), 0)
    except (*_ZIP_ERRORS, OpcError, LxmlError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise InputError(f"{name} is not a valid .docx file ({type(exc).__name__}: {str(exc)[:200]})", _RESAVE) from exc
    text = "\n".join(paragraphs)
    check_extent(name, len(paragraphs), len(text))
    return text


def check_docx_parts(name: str, data: bytes) -> None:
    """Refuse a .docx with too many parts, or whose parts unpack beyond MAX_UNZIPPED_BYTES: first by
    what its directory declares, then by unpacking every part with a running count (headers can lie)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_ZIP_ENTRIES:
                raise InputError(f"{name} has {len(parts)} parts; a .docx has far fewer (the limit is {MAX_ZIP_ENTRIES})", _RESAVE)
            declared = sum(part.file_size for part in parts)
            if declared > MAX_UNZIPPED_BYTES:
                raise _too_big(name, f"unpacks to {declared // 2**20} MB")
            unpacked = 0
            for part in parts:
                unpacked = _unpack(name, archive, part, unpacked)
    except _ZIP_ERRORS as exc:
        raise InputError(f"{name} is not a valid .docx file ({type(exc).__name__}: {str(exc)[:200]})", _RESAVE) from exc


def _unpack(name: str, archive: zipfile.ZipFile, part: zipfile.ZipInfo, unpacked: int) -> int:
    """Unpack one part a block at a time, adding to the running count; the main document's
    paragraphs are counted on the way, so a million of them are refused before parsing."""
    counting = part.filename == "word/document.xml"
    paragraphs, carry = 0, b""
    with archive.open(part) as stream:
        while block := stream.read(1 << 20):
            unpacked += len(block)
            if unpacked > MAX_UNZIPPED_BYTES:
                raise _too_big(name, f"unpacks to more than {MAX_UNZIPPED_BYTES // 2**20} MB")
            if counting:
                # A tag cut by the block boundary is found in the carried bytes plus the new block.
                window = carry + block
                paragraphs += window.count(b"<w:p>") + window.count(b"<w:p ")
                carry = window[-4:]
                check_extent(name, paragraphs, 0)
    return unpacked


def _too_big(name: str, what: str) -> InputError:
    return InputError(f"{name} {what}; the limit is {MAX_UNZIPPED_BYTES // 2**20} MB", f"{_RESAVE}, or {SPLIT_HINT}")


def html_visible_text(name: str, html: str) -> str:
    """html_text of a file's HTML, with parser failures and oversized pages as InputError."""
    try:
        text = html_text(html)
    except (AssertionError, ValueError, RuntimeError) as exc:
        raise InputError(f"{name} could not be read as HTML ({exc})", "open it in a browser and save it again, or save its text as .txt") from exc
    check_extent(name, sum(1 for line in text.split("\n") if line.strip()), len(text))
    return text


class _VisibleText(HTMLParser):
    _HIDDEN = {"script", "style", "head", "noscript", "template", "svg"}
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "blockquote", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_text(html: str) -> str:
    """The text a browser would show: no scripts, styles or head; block elements become lines."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
