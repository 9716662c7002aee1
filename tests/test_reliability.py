"""Bad input, faults and an untrusted corpus: each case gets a clear message and loses nothing."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.config import Settings
from app.errors import InputError
from app.index.folder import current_folder, load_index
from app.pipeline import load_pipeline
from tests.conftest import SEEDS, TINY_ARTICLE

BIAOGAN = str(Path(sys.executable).with_name("biaogan"))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("rel")
    shutil.copytree(SEEDS, root / "seeds")
    return load_pipeline(Settings(seeds_dir=root / "seeds", index_dir=root / "index", embed_model="hash:256", cache_dir=root / "cache"))


@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x01\x02"])
def test_empty_questions_are_refused_clearly(pipeline, question: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="empty") as exc:
        pipeline.ask(question)
    assert "e.g." in exc.value.hint


def test_a_20000_character_question_is_refused_with_the_limit(pipeline) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="20000 characters long; the limit is 500"):
        pipeline.ask("郑" * 20_000)


@pytest.mark.parametrize(
    "question",
    [
        "发改委\x07提出的\x1b[31m目标\u200b是多少？",
        "郑州的夜经济🌃🔥怎么样？",
        "What did 夏扬 say about 固定资产投资?",
        "<script>alert('x')</script>发改委的目标",
        "'; DROP TABLE chunks; -- 商务局",
    ],
)
def test_odd_questions_still_get_grounded_answers(pipeline, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = pipeline.ask(question)
    assert answer.text and "\x07" not in answer.question and "\x1b" not in answer.question
    for citation in answer.citations:
        assert citation.chunk.text[citation.quote_start : citation.quote_end] == citation.quote


def test_bad_files_are_skipped_and_good_ones_indexed(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "binary.txt").write_bytes(os.urandom(4096))
    (seeds / "latin1.txt").write_bytes("caf\xe9 cr\xe8me br\xfbl\xe9e".encode("latin-1"))
    (seeds / "gbk.txt").write_bytes(TINY_ARTICLE.encode("gbk"))
    (seeds / "名字 带空格 & 符号(1).md").write_text(TINY_ARTICLE.replace("李明", "赵强"), encoding="utf-8")
    big = "郑州加快建设国家中心城市，推动高质量发展。\n" * 820_000  # ~50 MB of UTF-8
    (seeds / "big.txt").write_text(big, encoding="utf-8")
    assert (seeds / "big.txt").stat().st_size > 50 * 2**20
    result = subprocess.run([BIAOGAN, "index", "--seeds", str(seeds), "--index", str(tmp_path / "index")],
                            env={**os.environ, "BIAOGAN_EMBED_MODEL": "hash:64"}, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    for name in ("empty.txt", "binary.txt", "latin1.txt"):
        assert f"skipped {name}" in result.stderr
    sources = {a["source"] for a in load_index(tmp_path / "index").articles}
    assert {"gbk.txt", "名字 带空格 & 符号(1).md", "000_a7041a94f8fffa35.txt"} <= sources
    assert "big.txt" not in sources
    assert "skipped big.txt: big.txt is 50 MB; the limit is 20 MB" in result.stderr  # says what to do: split it


def test_a_seeds_folder_with_nothing_readable_says_so(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"\x00" * 10)
    result = subprocess.run([BIAOGAN, "index", "--seeds", str(tmp_path), "--index", str(tmp_path / "idx")],
                            env={**os.environ, "BIAOGAN_EMBED_MODEL": "hash:64"}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "no readable article" in result.stderr and "hint:" in result.stderr


def _holds_build_lock(index: Path, build: subprocess.Popen, timeout: float = 120) -> bool:
    """Wait until the build process holds the index's build lock (it is then reading, embedding or
    writing), rather than sleeping a fixed time and hoping."""
    deadline = time.monotonic() + timeout
    with open(index / ".lock", "a") as handle:
        while time.monotonic() < deadline and build.poll() is None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return build.poll() is None
            fcntl.flock(handle, fcntl.LOCK_UN)
            time.sleep(0.01)
    return False


def test_a_build_killed_midway_leaves_the_previous_index_serving(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(SEEDS, seeds)
    env = {**os.environ, "BIAOGAN_EMBED_MODEL": "hash:64"}
    subprocess.run([BIAOGAN, "index", "--seeds", str(seeds), "--index", str(index)], env=env, check=True, capture_output=True, timeout=300)
    live = current_folder(index)
    (seeds / "more.txt").write_text("郑州推进高质量发展，加快建设国家中心城市。\n" * 300_000, encoding="utf-8")
    build = subprocess.Popen([BIAOGAN, "index", "--seeds", str(seeds), "--index", str(index)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert _holds_build_lock(index, build), "the build finished before it could be interrupted"
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=30)
    assert current_folder(index) == live
    assert len(load_index(index, "hash:64").chunks) > 0
    (seeds / "more.txt").unlink()
    rerun = subprocess.run([BIAOGAN, "index", "--seeds", str(seeds), "--index", str(index)], env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0 and "0 embedded" in rerun.stdout


def test_a_tampered_index_file_is_detected_with_the_rebuild_command(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(SEEDS, seeds)
    env = {**os.environ, "BIAOGAN_EMBED_MODEL": "hash:64", "BIAOGAN_SEEDS_DIR": str(seeds), "BIAOGAN_INDEX_DIR": str(index)}
    subprocess.run([BIAOGAN, "index"], env=env, check=True, capture_output=True, timeout=300)
    chunks = current_folder(index) / "chunks.jsonl"  # type: ignore[operator]
    chunks.write_text(chunks.read_text(encoding="utf-8").replace("7000亿元", "9000亿元"), encoding="utf-8")
    result = subprocess.run([BIAOGAN, "ask", "目标是多少"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "does not match its checksum" in result.stderr and "biaogan index --rebuild" in result.stderr
