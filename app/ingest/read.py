"""Files -> Article: decode, extract visible text, clean OCR artefacts, parse headline and date."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from app.dates import is_date_line, parse_date
from app.errors import InputError, SeedsError
from app.ingest.clean import clean, is_headline_like
from app.ingest.extract import SPLIT_HINT, docx_text, html_text, html_visible_text  # noqa: F401 (html_text is part of this module's interface)
from app.ingest.metadata import parse_byline, parse_page_note
from app.schema import Article
from app.text import cjk_ratio, has_words

log = logging.getLogger(__name__)

SUPPORTED = (".txt", ".md", ".html", ".htm", ".docx")
# A newspaper article is well under 1 MB; a file this large is a dump that should be split.
MAX_FILE_BYTES = 20 * 1024 * 1024
# C0 and C1 control characters (terminal escapes among them) except tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ID_UNSAFE = re.compile(r"[^0-9A-Za-z_\-\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Skipped:
    """A file that could not be read, and why; the build goes on without it."""

    source: str
    reason: str


def scan_sources(folder: Path) -> tuple[list[Path], list[Skipped]]:
    """Supported files directly inside folder, sorted by name, and the entries refused.

    Hidden files and other types are ignored. Symbolic links, and anything that resolves outside the
    folder, are refused with a warning: a link must not bring /etc/shadow into the index.
    """
    if not folder.is_dir():
        raise SeedsError(f"seeds folder not found: {folder}")
    root = folder.resolve()
    files: list[Path] = []
    skipped: list[Skipped] = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith(".") or Path(entry.name).suffix.lower() not in SUPPORTED:
            continue
        if entry.is_symlink():
            reason = f"{entry.name} is a symbolic link; links are not followed (copy the article into the folder instead)"
        elif not entry.is_file(follow_symlinks=False):
            continue  # a folder, socket or pipe with an article's name
        elif Path(entry.path).resolve().parent != root:
            reason = f"{entry.name} resolves outside the articles folder"
        else:
            files.append(Path(entry.path))
            continue
        log.warning("skipped %s: %s", entry.name, reason)
        skipped.append(Skipped(entry.name, reason))
    if not files and not skipped:
        raise SeedsError(f"no .txt, .md, .html or .docx files in {folder}")
    return files, skipped


def list_sources(folder: Path) -> list[Path]:
    """Supported files directly inside folder, sorted by name; links and hidden files are left out."""
    files, _ = scan_sources(folder)
    if not files:
        raise SeedsError(f"no .txt, .md, .html or .docx files in {folder}")
    return files


def read_or_skip(path: Path) -> Article | Skipped:
    """The article in a file, or why it is skipped. A problem of the file itself (InputError: empty,
    too large, undecodable, a damaged .docx; OSError: unreadable, gone) is logged and skipped, so one
    bad file never stops the others; any other error is a bug in reading and propagates."""
    try:
        return read_article(path)
    except (InputError, OSError) as exc:
        message = exc.message if isinstance(exc, InputError) else f"cannot read {path.name} ({type(exc).__name__}: {exc})"
        log.warning("skipped %s: %s", path.name, message)
        return Skipped(path.name, message)


def read_folder(folder: Path) -> tuple[list[Article], list[Skipped]]:
    """Read every supported file; a bad file is skipped with a warning, never fatal."""
    articles: list[Article] = []
    sources, skipped = scan_sources(folder)
    for path in sources:
        read = read_or_skip(path)
        if isinstance(read, Skipped):
            skipped.append(read)
        else:
            articles.append(read)
    if not articles:
        raise SeedsError(f"no readable article in {folder}", "check the warnings above; files must be UTF-8 or GBK text, HTML or .docx")
    return articles, skipped


def read_article(path: Path) -> Article:
    """Read one file into a cleaned Article. Raises InputError for unusable files."""
    data = read_file(path)
    raw = extract_text(path.name, data)
    if not has_words(raw):
        raise InputError(f"{path.name} is empty or holds no text")
    text, repairs = clean(raw)
    return parse_article(path.name, data, text, tuple(repairs))


def read_file(path: Path) -> bytes:
    """The bytes of a regular file, never through a symbolic link, refused above MAX_FILE_BYTES."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError as exc:
        raise InputError(f"{path.name} was removed before it could be read") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path.name} is a symbolic link; links are not followed", "copy the article into the folder instead") from exc
        raise InputError(f"cannot read {path.name}: {exc.strerror}") from exc
    with open(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path.name} is not a regular file")
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        size = max(info.st_size, len(data))
        raise InputError(f"{path.name} is {size // 2**20} MB; the limit is {MAX_FILE_BYTES // 2**20} MB", SPLIT_HINT)
    return data


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
    """Visible text of a file, by its extension, without control characters (terminal escapes)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".docx":
        text = docx_text(name, data)
    else:
        text = decode(name, data)
        if suffix in (".html", ".htm"):
            text = html_visible_text(name, text)
    return _CONTROL.sub("", text)


def decode(name: str, data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with or without BOM) or GB18030/GBK; anything else is rejected."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name} starts like UTF-16 text but is not valid UTF-16", "re-save it as UTF-8") from exc
    if b"\x00" in data[:8192]:
        # Zero bytes are either binary data or the high bytes of ASCII characters in UTF-16.
        text = _utf16_without_bom(data)
        if text is None:
            raise InputError(f"{name} looks like a binary file, not text", "save it as UTF-8 text, HTML or .docx")
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Chinese-only UTF-16 has no zero bytes; GB18030 decodes most byte soup: keep what reads most like Chinese.
    candidates = [text for text in (_try_decode(data, "gb18030"), _try_decode(data, "utf-16-le"), _try_decode(data, "utf-16-be"))
                  if text is not None and _plausible_chinese(text)]
    if candidates:
        return max(candidates, key=cjk_ratio)
    raise InputError(f"{name} is neither UTF-8 nor GBK/GB18030 text", "re-save it as UTF-8")


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a byte order mark: zero bytes on odd offsets (little-endian) or even ones."""
    sample = data[:8192]
    zeros = [i for i, byte in enumerate(sample) if byte == 0]
    odd = sum(i % 2 for i in zeros)
    if len(data) % 2 or max(odd, len(zeros) - odd) < 0.9 * len(zeros):
        return None
    text = _try_decode(data, "utf-16-le" if odd > len(zeros) - odd else "utf-16-be")
    if text is None or not text:
        return None
    printable = sum(1 for c in text if c.isprintable() or c.isspace())
    return text if printable >= 0.98 * len(text) and has_words(text) else None


def _plausible_chinese(text: str) -> bool:
    # GB18030 decodes most byte soup; accept it only when the result reads like Chinese text.
    printable = sum(1 for c in text if c.isprintable() or c.isspace())
    return printable >= 0.98 * len(text) and cjk_ratio(text) >= 0.3
