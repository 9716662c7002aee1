from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from app.errors import IndexCorrupt, IndexMissing, IndexOutdated
from app.index.folder import current_folder, load_index
from app.index.writer import IndexWriteFailed, build_index
from app.ingest.passages import ChunkSettings
from app.model.embed import HashEmbedder
from tests.conftest import TINY_ARTICLE


def build(seeds: Path, index: Path, embedder: HashEmbedder, **kwargs):  # type: ignore[no-untyped-def]
    return build_index(seeds, index, embedder, ChunkSettings(), **kwargs)


def test_round_trip(seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder) -> None:
    report = build(seeds_copy, tmp_path / "index", embedder)
    assert sorted(report.added) == ["000_a7041a94f8fffa35.txt", "002_7b4fe6aee2fbd527.txt"]
    index = load_index(tmp_path / "index", embedder.fingerprint)
    assert len(index.chunks) == report.chunks == index.vectors.ntotal == index.lexical.n_docs
    assert index.manifest["model"] == "hash:256" and index.manifest["dim"] == 256
    assert index.manifest["chunker"] == {"max_chars": 300, "min_chars": 100}
    assert set(index.manifest["files"]) >= {"chunks.jsonl", "vectors.faiss", "embeddings.npy", "lexical.npz"}
    # The vectors read back belong to their passages: asking with a passage's own words finds it first.
    from app.index.retrieve import dense

    for row, chunk in enumerate(index.chunks):
        assert dense(index, embedder.encode_queries([chunk.text])[0], k=1)[0][0] == row
    assert {a["source"] for a in index.articles} == set(report.added)
    assert any(r["kind"] == "duplicate_fragment" for a in index.articles for r in a["repairs"])


def test_incremental_add_change_remove(seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder) -> None:
    index_dir = tmp_path / "index"
    build(seeds_copy, index_dir, embedder)
    before = load_index(index_dir, embedder.fingerprint)
    (seeds_copy / "tiny.txt").write_text(TINY_ARTICLE, encoding="utf-8")
    added = build(seeds_copy, index_dir, embedder)
    after = load_index(index_dir, embedder.fingerprint)
    tiny_chunks = [c for c in after.chunks if c.source == "tiny.txt"]
    assert added.added == ["tiny.txt"] and len(added.unchanged) == 2
    assert added.embedded == len(tiny_chunks) > 0  # only the new article is embedded
    kept = [c.id for c in after.chunks if c.source != "tiny.txt"]
    assert kept == [c.id for c in before.chunks]  # unchanged articles keep ids and vectors
    assert np.array_equal(after.embeddings[: len(kept)], before.embeddings)

    (seeds_copy / "tiny.txt").write_text(TINY_ARTICLE.replace("500家", "800家"), encoding="utf-8")
    changed = build(seeds_copy, index_dir, embedder)
    assert changed.changed == ["tiny.txt"] and changed.embedded == len(tiny_chunks)
    texts = [c.text for c in load_index(index_dir, embedder.fingerprint).chunks]
    assert any("800家" in t for t in texts) and not any("500家" in t for t in texts)

    (seeds_copy / "tiny.txt").unlink()
    removed = build(seeds_copy, index_dir, embedder)
    assert removed.removed == ["tiny.txt"] and removed.embedded == 0
    assert [c.id for c in load_index(index_dir, embedder.fingerprint).chunks] == [c.id for c in before.chunks]


def test_nothing_changed_means_nothing_rewritten(seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder) -> None:
    build(seeds_copy, tmp_path / "index", embedder)
    live = current_folder(tmp_path / "index")
    again = build(seeds_copy, tmp_path / "index", embedder)
    assert again.embedded == 0 and current_folder(tmp_path / "index") == live


def test_a_changed_word_list_re_tokenises_without_re_embedding(
    seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.index import writer as store

    build(seeds_copy, tmp_path / "index", embedder)
    live = current_folder(tmp_path / "index")
    # A new word list: tokens now carry a marker word; the lexicon's fingerprint says it changed.
    monkeypatch.setattr(store, "lexical_tokens", lambda text: ["新词表"] + text.split())
    monkeypatch.setattr(store, "lexicon_fingerprint", lambda: "another-lexicon")
    again = build(seeds_copy, tmp_path / "index", embedder)
    index = load_index(tmp_path / "index", embedder.fingerprint, with_tokens=True)
    assert again.embedded == 0 and current_folder(tmp_path / "index") != live
    assert all(tokens[0] == "新词表" for tokens in index.tokens) and index.manifest["lexicon"] == "another-lexicon"
    assert index.lexical.vocab.get("新词表") is not None


def test_rebuild_and_chunker_change_re_embed_everything(seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder) -> None:
    first = build(seeds_copy, tmp_path / "index", embedder)
    assert build(seeds_copy, tmp_path / "index", embedder, rebuild=True).embedded == first.chunks
    smaller = build_index(seeds_copy, tmp_path / "index", embedder, ChunkSettings(max_chars=150, min_chars=50))
    assert smaller.embedded == smaller.chunks > first.chunks


def test_a_bad_file_does_not_stop_the_build(seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder) -> None:
    (seeds_copy / "broken.txt").write_bytes(b"\x00\xff" * 50)
    report = build(seeds_copy, tmp_path / "index", embedder)
    assert [s.source for s in report.skipped] == ["broken.txt"] and len(report.added) == 2
    assert load_index(tmp_path / "index").manifest["skipped"][0]["source"] == "broken.txt"


def test_a_build_that_dies_midway_leaves_the_previous_index(seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch) -> None:
    build(seeds_copy, tmp_path / "index", embedder)
    live = current_folder(tmp_path / "index")
    (seeds_copy / "tiny.txt").write_text(TINY_ARTICLE, encoding="utf-8")

    def explode(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr("app.index.writer.make_faiss", explode)
    with pytest.raises(RuntimeError):
        build(seeds_copy, tmp_path / "index", embedder)
    assert current_folder(tmp_path / "index") == live
    assert len(load_index(tmp_path / "index", embedder.fingerprint).chunks) > 0
    monkeypatch.undo()
    assert build(seeds_copy, tmp_path / "index", embedder).added == ["tiny.txt"]
    assert not list((tmp_path / "index").glob(".tmp-*"))  # leftovers of the dead build are cleaned


def test_load_errors_say_how_to_fix(seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder) -> None:
    with pytest.raises(IndexMissing) as missing:
        load_index(tmp_path / "index")
    assert "biaogan index" in missing.value.hint
    build(seeds_copy, tmp_path / "index", embedder)
    with pytest.raises(IndexOutdated) as other_model:
        load_index(tmp_path / "index", "e5-small-q4:abc")
    assert "hash:256" in other_model.value.message and "--rebuild" in other_model.value.hint

    folder = current_folder(tmp_path / "index")
    assert folder is not None
    data = (folder / "embeddings.npy").read_bytes()
    (folder / "embeddings.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorrupt, match="checksum") as corrupt:
        load_index(tmp_path / "index")
    assert "--rebuild" in corrupt.value.hint
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="manifest"):
        load_index(tmp_path / "index")


def test_corrupt_index_is_replaced_by_a_rebuild(seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder) -> None:
    build(seeds_copy, tmp_path / "index", embedder)
    folder = current_folder(tmp_path / "index")
    assert folder is not None
    (folder / "chunks.jsonl").write_text("garbage\n", encoding="utf-8")
    report = build(seeds_copy, tmp_path / "index", embedder)  # an unreadable index is not reused
    assert len(report.added) == 2
    assert load_index(tmp_path / "index").manifest["counts"]["chunks"] == report.chunks
    shutil.rmtree(current_folder(tmp_path / "index"))  # type: ignore[arg-type]
    with pytest.raises(IndexMissing):
        load_index(tmp_path / "index")


def test_no_pickle_in_the_index(seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder) -> None:
    build(seeds_copy, tmp_path / "index", embedder)
    folder = current_folder(tmp_path / "index")
    assert folder is not None
    for path in folder.iterdir():
        assert path.suffix in {".json", ".jsonl", ".npy", ".npz", ".faiss"}, path.name
    json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _no_space(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _fills_the_disk(path: Path, rows) -> None:  # type: ignore[no-untyped-def]
    """A writer that writes part of its file, then finds the disk full."""
    path.write_bytes(b"x" * 4096)
    _no_space()


@pytest.mark.parametrize("failing", ["jsonl", "faiss"])
def test_a_full_disk_is_reported_and_the_half_written_build_removed(
    failing: str, seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import faiss

    index_dir = tmp_path / "index"
    build(seeds_copy, index_dir, embedder)
    live = current_folder(index_dir)
    (seeds_copy / "tiny.txt").write_text(TINY_ARTICLE, encoding="utf-8")
    if failing == "jsonl":
        monkeypatch.setattr("app.index.writer._write_jsonl", _fills_the_disk)
    else:  # faiss reports a full disk as a RuntimeError carrying strerror's text
        def write_index(index, path: str) -> None:  # type: ignore[no-untyped-def]
            Path(path).write_bytes(b"x" * 4096)
            raise RuntimeError(f"Error in faiss::FileIOWriter: write error in {path}: 0 != 1536 (No space left on device)")

        monkeypatch.setattr(faiss, "write_index", write_index)
    with pytest.raises(IndexWriteFailed) as caught:
        build(seeds_copy, index_dir, embedder)
    assert caught.value.message == f"disk full while writing the index in {index_dir}"
    assert caught.value.hint == "free space and run `biaogan index` again"
    assert sorted(p.name for p in index_dir.iterdir()) == sorted([".lock", "CURRENT", live.name])  # type: ignore[union-attr]
    assert current_folder(index_dir) == live and load_index(index_dir, embedder.fingerprint).chunks


def test_an_unwritable_index_folder_is_a_clear_error(seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod does not stop root, so the refusal is simulated where the build first writes.
    def refuse(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr("app.index.writer.open", refuse, raising=False)
    with pytest.raises(IndexWriteFailed) as caught:
        build(seeds_copy, tmp_path / "index", embedder)
    assert caught.value.message == f"cannot write the index in {tmp_path / 'index'} (Permission denied)"
    assert "writable" in caught.value.hint and "--index" in caught.value.hint
    monkeypatch.undo()
    build(seeds_copy, tmp_path / "index", embedder)
    monkeypatch.setattr("app.index.writer._fill", refuse)  # the lock is there; the build folder cannot be made
    (seeds_copy / "tiny.txt").write_text(TINY_ARTICLE, encoding="utf-8")
    with pytest.raises(IndexWriteFailed, match="Permission denied"):
        build(seeds_copy, tmp_path / "index", embedder)
    assert not list((tmp_path / "index").glob(".tmp-*"))


def test_an_article_deleted_while_a_second_build_waits_for_the_lock(
    seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "index"
    (seeds_copy / "tiny.txt").write_text(TINY_ARTICLE, encoding="utf-8")
    build(seeds_copy, index_dir, embedder)
    real_flock = fcntl.flock
    waiting = threading.Event()

    def flock(handle, operation):  # type: ignore[no-untyped-def]
        if operation == fcntl.LOCK_EX and threading.current_thread() is not threading.main_thread():
            waiting.set()  # the second build is about to wait for the lock
        return real_flock(handle, operation)

    monkeypatch.setattr(fcntl, "flock", flock)
    outcome: dict[str, object] = {}

    def second_build() -> None:
        try:
            outcome["report"] = build(seeds_copy, index_dir, embedder)
        except BaseException as exc:  # reported to the main thread
            outcome["error"] = exc

    with open(index_dir / ".lock", "w") as held:  # the first build holds the lock
        real_flock(held, fcntl.LOCK_EX)
        worker = threading.Thread(target=second_build)
        worker.start()
        assert waiting.wait(timeout=60)
        (seeds_copy / "tiny.txt").unlink()
        real_flock(held, fcntl.LOCK_UN)
    worker.join(timeout=120)
    assert "error" not in outcome, outcome.get("error")
    report = outcome["report"]
    assert report.removed == ["tiny.txt"] and not report.skipped  # type: ignore[attr-defined]
    assert {c.source for c in load_index(index_dir, embedder.fingerprint).chunks} == {p.name for p in seeds_copy.iterdir()}


def test_an_article_that_vanishes_after_the_listing_is_skipped(
    seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.index import writer as store

    index_dir = tmp_path / "index"
    (seeds_copy / "tiny.txt").write_text(TINY_ARTICLE, encoding="utf-8")
    (seeds_copy / "new.txt").write_text(TINY_ARTICLE.replace("500家", "800家"), encoding="utf-8")
    build(seeds_copy, index_dir, embedder)
    (seeds_copy / "other.txt").write_text(TINY_ARTICLE.replace("500家", "900家"), encoding="utf-8")
    real_scan = store.scan_sources

    def scan_then_delete(folder: Path):  # type: ignore[no-untyped-def]
        listed = real_scan(folder)
        (folder / "tiny.txt").unlink()  # indexed before: its checksum cannot be taken
        (folder / "other.txt").unlink()  # new: it cannot be read
        return listed

    monkeypatch.setattr(store, "scan_sources", scan_then_delete)
    report = build(seeds_copy, index_dir, embedder)
    assert sorted(s.source for s in report.skipped) == ["other.txt", "tiny.txt"]
    assert "new.txt" in report.unchanged


def test_links_in_the_articles_folder_are_reported_as_skipped(seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder) -> None:
    (tmp_path / "secret.txt").write_text("机密：绝不能进入索引的一段话。", encoding="utf-8")
    (seeds_copy / "shadow.txt").symlink_to(tmp_path / "secret.txt")
    report = build(seeds_copy, tmp_path / "index", embedder)
    assert [s.source for s in report.skipped] == ["shadow.txt"] and "symbolic link" in report.skipped[0].reason
    index = load_index(tmp_path / "index", embedder.fingerprint)
    assert not any("机密" in c.text for c in index.chunks) and index.manifest["skipped"][0]["source"] == "shadow.txt"


def test_a_first_start_says_once_in_chinese_that_it_builds_the_index(hash_settings, caplog) -> None:  # type: ignore[no-untyped-def]
    from app.pipeline import load_pipeline

    with caplog.at_level(logging.INFO, logger="app"):
        load_pipeline(hash_settings)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("app.")]
    assert sum("建立" in line for line in lines) == 1, lines  # no second "no index" from the build itself
    assert not any("no index" in line or "not reusing" in line for line in lines), lines
    assert any(line.startswith("索引：") and "篇文章" in line for line in lines), lines


def test_above_exact_index_max_the_index_is_hnsw_and_still_finds_the_right_passages(
    seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder
) -> None:
    from app.index.retrieve import dense, search

    build(seeds_copy, tmp_path / "exact", embedder)
    build(seeds_copy, tmp_path / "hnsw", embedder, exact_max=5)  # the seeds give ~25 passages
    exact = load_index(tmp_path / "exact", embedder.fingerprint)
    graph = load_index(tmp_path / "hnsw", embedder.fingerprint)
    assert graph.manifest["faiss"].startswith("hnsw") and hasattr(graph.vectors, "hnsw")
    assert exact.manifest["faiss"] == "flat" and len(graph.chunks) > 5
    # Each passage, asked for by its own vector, comes back first with its cosine of 1.
    for row in range(len(graph.chunks)):
        top = dense(graph, graph.embeddings[row], k=1)
        assert top[0][0] == row and top[0][1] == pytest.approx(1.0, abs=1e-4)
    # A question gets the same passages, in the same order and with the same scores, as from the exact index.
    question = "夏扬提出固定资产投资目标"
    vector = embedder.encode_queries([question])[0]
    assert [(r, pytest.approx(s, abs=1e-4)) for r, s in dense(exact, vector, k=5)] == dense(graph, vector, k=5)
    hits = search(graph, question, vector, k=2)
    assert [h.chunk.speaker for h in hits] == ["夏扬", "夏扬"]
