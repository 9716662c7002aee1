"""Hostile files in the articles folder: links out of it, zip bombs, broken documents, escapes."""

from __future__ import annotations

import errno
import io
import logging
import os
import zipfile
from pathlib import Path

import pytest

from app.errors import InputError
from app.ingest import extract
from app.ingest.read import decode, extract_text, read_article, read_folder
from app.ui.feedback import FeedbackNotSaved
from tests.conftest import TINY_ARTICLE

SECRET = "机密文件：这一段绝不能进入索引，里面有密码。"


def _docx_with(document_xml: bytes | None = None, extra_parts: int = 0) -> bytes:
    """A real .docx (from python-docx) with its main document part replaced, or extra parts added."""
    from docx import Document

    base = io.BytesIO()
    Document().save(base)
    source = zipfile.ZipFile(io.BytesIO(base.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename == "word/document.xml" and document_xml is not None:
                archive.writestr(info, document_xml)
            else:
                archive.writestr(info, source.read(info))
        for n in range(extra_parts):
            archive.writestr(f"extra/item{n}.xml", b"<x/>")
    return out.getvalue()


def _body(paragraphs: str) -> bytes:
    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    return f'<?xml version="1.0"?><w:document xmlns:w="{namespace}"><w:body>{paragraphs}</w:body></w:document>'.encode()


# Reading never leaves the articles folder.


def test_a_link_to_a_file_outside_the_folder_is_skipped_with_a_reason(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder, outside = tmp_path / "seeds", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (folder / "good.txt").write_text(TINY_ARTICLE, encoding="utf-8")
    (folder / "shadow.txt").symlink_to(outside / "secret.txt")
    (folder / "alias.txt").symlink_to(folder / "good.txt")
    with caplog.at_level(logging.WARNING):
        articles, skipped = read_folder(folder)
    assert [a.source for a in articles] == ["good.txt"]
    assert {s.source for s in skipped} == {"shadow.txt", "alias.txt"}
    assert all("symbolic link" in s.reason for s in skipped)
    assert "shadow.txt" in caplog.text and not any(SECRET in a.text for a in articles)


def test_reading_a_link_directly_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (tmp_path / "shadow.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(InputError, match="symbolic link"):
        read_article(tmp_path / "shadow.txt")


def test_a_folder_of_nothing_but_links_names_what_was_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "shadow.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(Exception, match="no readable article"):
        read_folder(folder)


# .docx and HTML: bounded before parsing, broken ones rejected clearly.


def test_a_docx_zip_bomb_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    # 40 MB of one character packs into a few dozen KB; python-docx would unpack all of it.
    bomb = _docx_with(_body("<w:p><w:r><w:t>" + "a" * (40 * 2**20) + "</w:t></w:r></w:p>"))
    assert len(bomb) < 200_000
    (tmp_path / "bomb.docx").write_bytes(bomb)
    (tmp_path / "good.txt").write_text(TINY_ARTICLE, encoding="utf-8")
    with pytest.raises(InputError, match="bomb.docx unpacks to 40 MB; the limit is 32 MB") as caught:
        read_article(tmp_path / "bomb.docx")
    assert "split it" in caught.value.hint
    articles, skipped = read_folder(tmp_path)  # the bomb never stops the other files
    assert [a.source for a in articles] == ["good.txt"] and [s.source for s in skipped] == ["bomb.docx"]


def _understate(data: bytes, name: str, size: int) -> bytes:
    """The zip with the sizes declared for one part (local header and directory) set to size."""
    import struct

    archive = zipfile.ZipFile(io.BytesIO(data))
    out = bytearray(data)
    struct.pack_into("<I", out, archive.getinfo(name).header_offset + 22, size)
    at = archive.start_dir
    while out[at : at + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", out, at + 28)
        if out[at + 46 : at + 46 + name_len].decode() == name:
            struct.pack_into("<I", out, at + 24, size)
        at += 46 + name_len + extra_len + comment_len
    return bytes(out)


def test_a_part_whose_headers_understate_its_size_is_not_unpacked_past_them() -> None:
    # A guard, not new behaviour: zipfile stops at the declared size and then fails the checksum.
    data = _understate(_docx_with(_body("<w:p><w:r><w:t>" + "a" * (40 * 2**20) + "</w:t></w:r></w:p>")), "word/document.xml", 1000)
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist()) < extract.MAX_UNZIPPED_BYTES
    with pytest.raises(InputError, match="lying.docx is not a valid .docx file.*CRC"):
        extract_text("lying.docx", data)


def test_a_docx_of_too_many_parts_or_paragraphs_is_refused() -> None:
    with pytest.raises(InputError, match="parts"):
        extract_text("parts.docx", _docx_with(extra_parts=extract.MAX_ZIP_ENTRIES))
    many = _body("<w:p><w:r><w:t>一段</w:t></w:r></w:p>" * (extract.MAX_PARAGRAPHS + 1))
    with pytest.raises(InputError, match="more than 50,000 paragraphs") as caught:
        extract_text("many.docx", _docx_with(many))
    assert caught.value.hint == "split it into smaller files"


def test_a_docx_with_too_much_text_is_refused() -> None:
    long = _body(("<w:p><w:r><w:t>" + "a" * 1_000_000 + "</w:t></w:r></w:p>") * 6)
    with pytest.raises(InputError, match="characters of text"):
        extract_text("long.docx", _docx_with(long))


@pytest.mark.parametrize("document", [b"<w:document><w:body><w:p>", b"\x00\xff not xml"], ids=["truncated", "garbage"])
def test_a_broken_docx_part_is_a_clear_input_error_not_a_parser_traceback(document: bytes) -> None:
    with pytest.raises(InputError, match="broken.docx is not a valid .docx file") as caught:
        extract_text("broken.docx", _docx_with(document))
    assert "re-save" in caught.value.hint


def test_html_the_parser_rejects_is_a_clear_input_error() -> None:
    with pytest.raises(InputError, match="page.html could not be read as HTML") as caught:
        extract_text("page.html", "<p>正文。</p><![bogus[ x ]]>".encode())
    assert "save" in caught.value.hint


def test_html_with_too_many_paragraphs_is_refused() -> None:
    page = "<p>一段。</p>" * (extract.MAX_PARAGRAPHS + 1)
    with pytest.raises(InputError, match="paragraphs"):
        extract_text("page.html", page.encode())


# Control characters and encodings.


def test_terminal_escapes_and_control_characters_are_stripped_from_articles(tmp_path: Path) -> None:
    hostile = TINY_ARTICLE.replace("力争", "\x1b[2J\x1b]0;pwned\x07力争\x9b31m\x01\x08")
    (tmp_path / "a.txt").write_text(hostile, encoding="utf-8")
    article = read_article(tmp_path / "a.txt")
    assert not any(ord(c) < 32 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F for c in article.text)
    assert "力争全年新增高新技术企业500家" in article.text.replace("[2J]0;pwned", "").replace("31m", "")
    assert "\t" in extract_text("b.txt", "甲\t乙".encode())


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_decoded(encoding: str) -> None:
    assert decode("a.txt", TINY_ARTICLE.encode(encoding)) == TINY_ARTICLE  # ASCII lines give zero bytes
    chinese_only = "郑州市持续推进制造业高质量发展力争全年新增高新技术企业"
    assert decode("b.txt", chinese_only.encode(encoding)) == chinese_only  # no zero byte at all


def test_binary_with_zero_bytes_is_still_called_binary() -> None:
    with pytest.raises(InputError, match="binary"):
        decode("x.txt", bytes(range(256)) * 8)


# The feedback log survives a full disk.


def test_a_short_feedback_write_leaves_no_partial_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.ui.feedback as feedback

    log_path = tmp_path / "feedback.jsonl"
    feedback.append_feedback(log_path, {"liked": True, "question": "第一条"})
    before = log_path.read_bytes()
    real_write = os.write

    def short_write(fd: int, data: bytes) -> int:  # the disk fills halfway through the record
        return real_write(fd, data[: len(data) // 2])

    monkeypatch.setattr(feedback.os, "write", short_write)
    with pytest.raises(FeedbackNotSaved, match="only .* bytes could be written") as caught:
        feedback.append_feedback(log_path, {"liked": False, "question": "第二条，写到一半磁盘满了"})
    assert "disk space" in caught.value.hint
    assert log_path.read_bytes() == before
    monkeypatch.undo()
    feedback.append_feedback(log_path, {"liked": None, "question": "第三条"})
    assert [r["question"] for r in feedback.read_feedback(log_path)] == ["第一条", "第三条"]


def test_a_failed_feedback_write_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.ui.feedback as feedback

    def no_space(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(feedback.os, "write", no_space)
    with pytest.raises(FeedbackNotSaved, match="No space left on device"):
        feedback.append_feedback(tmp_path / "feedback.jsonl", {"liked": True})
    assert (tmp_path / "feedback.jsonl").read_bytes() == b""


def test_feedback_readers_skip_corrupt_lines_and_writers_start_a_fresh_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from app.ui.feedback import append_feedback, read_feedback

    log_path = tmp_path / "feedback.jsonl"
    # Two records glued into one line by an unchecked write, and a record cut short at the end.
    log_path.write_bytes('{"question": "好"}\n{"question": "坏{"question": "也坏"}\n[1, 2]\n{"question": "断'.encode())
    append_feedback(log_path, {"question": "新的"})
    with caplog.at_level(logging.WARNING):
        records = read_feedback(log_path)
    assert [r["question"] for r in records] == ["好", "新的"]
    assert "line 2" in caplog.text and "line 3" in caplog.text and "line 4" in caplog.text


# What the command line prints: no terminal escapes, no tracebacks for disk trouble.

ESCAPES = ("\x1b", "\x07", "\x9b", "\x08")
QUESTION = "市科技局力争全年新增多少家高新技术企业？"


@pytest.fixture
def cli_env(tmp_path: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BIAOGAN_SEEDS_DIR", str(seeds_copy))
    monkeypatch.setenv("BIAOGAN_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("BIAOGAN_EMBED_MODEL", "hash:256")
    return seeds_copy


def test_ask_prints_no_terminal_escapes_even_from_an_index_that_holds_them(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from typer.testing import CliRunner

    from app.cli import app

    hostile = TINY_ARTICLE.replace("力争全年新增", "\x1b]0;pwned\x07\x1b[2J力争全年\x9b31m新增\x08")
    (cli_env / "tiny.txt").write_text(hostile, encoding="utf-8")
    monkeypatch.setattr("app.ingest.read._CONTROL", re.compile("(?!)"))  # an index built before escapes were stripped
    runner = CliRunner()
    assert runner.invoke(app, ["index"]).exit_code == 0
    for extra in ([], ["--json"], ["--format", "briefing"]):
        result = runner.invoke(app, ["ask", QUESTION, *extra])
        assert result.exit_code == 0, result.output
        assert "500家" in result.stdout and not any(c in result.output for c in ESCAPES), extra
    lines = runner.invoke(app, ["ask", "--jsonl"], input=QUESTION + "\n")
    assert "500家" in lines.stdout and not any(c in lines.output for c in ESCAPES)


def test_index_prints_file_names_without_their_escapes(cli_env: Path) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    (cli_env / "\x1b[2Jevil\x07.txt").write_bytes(b"\x00\x01" * 50)
    result = CliRunner().invoke(app, ["index"])
    assert result.exit_code == 0 and "[2Jevil.txt" in result.stderr
    assert not any(c in result.output for c in ESCAPES)


@pytest.mark.parametrize("fault", ["full disk", "read-only folder"])
def test_index_reports_disk_trouble_as_error_and_hint_without_a_traceback(fault: str, cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def read_only(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    if fault == "full disk":
        monkeypatch.setattr("app.index.writer._write_jsonl", full)
    else:
        monkeypatch.setattr("app.index.writer.open", read_only, raising=False)
    result = CliRunner().invoke(app, ["index"])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    expected = ("error: disk full while writing the index", "hint: free space") if fault == "full disk" else (
        "error: cannot write the index in", "hint: make the folder writable")
    assert all(text in result.stderr for text in expected), result.output
    assert "Traceback" not in result.output
