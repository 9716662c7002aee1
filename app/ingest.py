"""Files -> Article: decode, extract visible text, clean OCR artefacts, parse headline and date."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from app.clean import clean, is_headline_like
from app.errors import InputError, SeedsError
from app.metadata import is_date_line, parse_byline, parse_date, parse_page_note
from app.schema import Article
from app.text import cjk_ratio, has_words

log = logging.getLogger(__name__)

SUPPORTED = (".txt", ".md", ".html", ".htm", ".docx")
# A newspaper article is well under 1 MB; a file this large is a dump that should be split.
MAX_FILE_BYTES = 20 * 1024 * 1024
_ID_UNSAFE = re.compile(r"[^0-9A-Za-z_\-\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Skipped:
    """A file that could not be read, and why; the build goes on without it."""

    source: str
    reason: str


def list_sources(folder: Path) -> list[Path]:
    """Supported files directly inside folder, sorted by name; hidden files are ignored."""
    if not folder.is_dir():
        raise SeedsError(f"seeds folder not found: {folder}")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUPPORTED)
    if not files:
        raise SeedsError(f"no .txt, .md, .html or .docx files in {folder}")
    return files


def read_folder(folder: Path) -> tuple[list[Article], list[Skipped]]:
    """Read every supported file; a bad file is skipped with a warning, never fatal."""
    articles: list[Article] = []
    skipped: list[Skipped] = []
    for path in list_sources(folder):
        try:
            articles.append(read_article(path))
        except InputError as exc:
            log.warning("skipped %s: %s", path.name, exc.message)
            skipped.append(Skipped(path.name, exc.message))
    if not articles:
        raise SeedsError(f"no readable article in {folder}", "check the warnings above; files must be UTF-8 or GBK text, HTML or .docx")
    return articles, skipped


def read_article(path: Path) -> Article:
    """Read one file into a cleaned Article. Raises InputError for unusable files."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{path.name} is {len(data) // 2**20} MB; the limit is {MAX_FILE_BYTES // 2**20} MB", "split it into smaller files")
    raw = extract_text(path.name, data)
    if not has_words(raw):
        raise InputError(f"{path.name} is empty or holds no text")
    text, repairs = clean(raw)
    return parse_article(path.name, data, text, tuple(repairs))


def article_id(source: str, content_hash: str) -> str:
    """Stable id from the file name and the content: unchanged files keep their id across builds."""
    stem = _ID_UNSAFE.sub("_", Path(source).stem).strip("_")[:48] or "article"
    return f"{stem}-{content_hash[:10]}"


def parse_article(source: str, data: bytes, text: str, repairs: tuple = ()) -> Article:  # type: ignore[type-arg]
    lines = text.split("\n")
    head = lines[:6]
    content_hash = hashlib.sha256(data).hexdigest()
    date_line = next((line for line in head if is_date_line(line)), "")
    bylines = [b for b in (parse_byline(line) for line in lines) if b]
    title = next((line for line in lines if line.strip() and not is_date_line(line) and is_headline_like(line)), "") or _lead(lines)
    return Article(
        id=article_id(source, content_hash),
        source=source,
        content_hash=content_hash,
        title=title.strip(),
        text=text,
        date=parse_date(date_line) if date_line else None,
        newspaper=bylines[0].newspaper if bylines else "",
        page_note=parse_page_note(date_line),
        repairs=repairs,
    )


def _lead(lines: list[str]) -> str:
    """A title for an article without a headline line: the opening of its first sentence."""
    body = next((line for line in lines if line.strip() and not is_date_line(line)), lines[0])
    first = re.split(r"[。！？!?]", body, maxsplit=1)[0]
    return first[:40]


def extract_text(name: str, data: bytes) -> str:
    """Visible text of a file, by its extension."""
    suffix = Path(name).suffix.lower()
    if suffix == ".docx":
        return _docx_text(name, data)
    text = decode(name, data)
    if suffix in (".html", ".htm"):
        return html_text(text)
    return text


def decode(name: str, data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK; anything else is rejected."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise InputError(f"{name} looks like a binary file, not text", "save it as UTF-8 text, HTML or .docx")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" or _plausible_chinese(text):
            return text
    raise InputError(f"{name} is neither UTF-8 nor GBK/GB18030 text", "re-save it as UTF-8")


def _plausible_chinese(text: str) -> bool:
    # GB18030 decodes most byte soup; accept it only when the result reads like Chinese text.
    printable = sum(1 for c in text if c.isprintable() or c.isspace())
    return printable >= 0.98 * len(text) and cjk_ratio(text) >= 0.3


def _docx_text(name: str, data: bytes) -> str:
    import io
    import zipfile

    from docx import Document

    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{name} is not a valid .docx file ({exc})", "open and re-save it in Word or LibreOffice") from exc
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        paragraphs.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(paragraphs)


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
