"""Write the index folder: embed only new or changed articles, write a fresh build folder beside the
live one, and move index/CURRENT to it in one rename, under a lock (see app/index/folder.py).
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from app.errors import BiaoganError, IndexCorrupt, IndexMissing, IndexOutdated, SeedsError
from app.index.bm25 import LexicalIndex
from app.index.folder import (
    FORMAT_VERSION,
    HNSW_EF_SEARCH,
    BuildReport,
    Index,
    article_record,
    current_folder,
    embedding_text,
    lexical_text,
    load_index,
    sha256,
)
from app.ingest.passages import ChunkSettings, chunk_article
from app.ingest.read import Skipped, read_or_skip, scan_sources
from app.model.embed import Embedder
from app.schema import Chunk
from app.text import add_words, lexical_tokens, lexicon_fingerprint

log = logging.getLogger(__name__)

HNSW_M = 32


HNSW_M = 32
class IndexWriteFailed(BiaoganError):
    """The index folder cannot be written: disk full, read-only or not ours."""


_WRITABLE_HINT = "make the folder writable, or pass --index DIR (BIAOGAN_INDEX_DIR) naming a writable folder"


def _write_error(index_dir: Path, exc: BaseException) -> IndexWriteFailed | None:
    """What a failed write means to the user; None when the failure is not about the disk."""
    if isinstance(exc, OSError):
        return _disk_error(index_dir, exc.errno, exc.strerror or str(exc))
    if isinstance(exc, RuntimeError):  # faiss reports its C-level write errors with strerror text
        code = next((c for c in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS) if os.strerror(c) in str(exc)), None)
        return _disk_error(index_dir, code, os.strerror(code)) if code is not None else None
    return None


def _disk_error(index_dir: Path, code: int | None, reason: str) -> IndexWriteFailed:
    if code in (errno.ENOSPC, errno.EDQUOT):
        return IndexWriteFailed(f"disk full while writing the index in {index_dir}", "free space and run `biaogan index` again")
    return IndexWriteFailed(f"cannot write the index in {index_dir} ({reason})", _WRITABLE_HINT)


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = open(index_dir / ".lock", "w")
    except OSError as exc:
        raise _disk_error(index_dir, exc.errno, exc.strerror or str(exc)) from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_index(
    seeds_dir: Path, index_dir: Path, embedder: Embedder, settings: ChunkSettings, *, rebuild: bool = False, exact_max: int = 50_000
) -> BuildReport:
    """Index seeds_dir into index_dir, embedding only new or changed articles unless rebuild."""
    started = time.perf_counter()
    with _build_lock(index_dir):
        # Listed only once the lock is held: a build that waited for another sees the folder as it is now.
        sources, refused = scan_sources(seeds_dir)
        previous = None if rebuild else _reusable(index_dir, embedder.fingerprint, settings)
        report = BuildReport(skipped=list(refused))
        entries = _collect(sources, previous, embedder, settings, report)
        if not entries:
            raise SeedsError(f"no readable article in {seeds_dir}", "check the warnings above; files must be UTF-8 or GBK text, HTML or .docx")
        report.chunks = sum(len(e.chunks) for e in entries)
        same_tokens = previous is not None and previous.manifest.get("lexicon") == lexicon_fingerprint()
        if previous is not None and same_tokens and not (report.added or report.changed or report.removed):
            report.folder = str(previous.folder)  # nothing to do: the live index already matches
        else:
            report.folder = str(_write(index_dir, embedder, settings, entries, report, exact_max))
    report.seconds = time.perf_counter() - started
    log.info(
        "索引：%d 篇文章（新增 %d，修改 %d，移除 %d，跳过 %d），%d 个段落，编码 %d 个，用时 %.1f 秒",
        len(report.added) + len(report.changed) + len(report.unchanged), len(report.added), len(report.changed), len(report.removed), len(report.skipped),
        report.chunks, report.embedded, report.seconds,
    )
    return report


def _reusable(index_dir: Path, fingerprint: str, settings: ChunkSettings) -> Index | None:
    try:
        old = load_index(index_dir, fingerprint, with_tokens=True)
    except IndexMissing:
        return None  # a first build: nothing to reuse, nothing to report
    except (IndexCorrupt, IndexOutdated) as exc:
        log.info("现有索引不能沿用，全部重新编码：%s", exc.message)
        return None
    if old.manifest.get("chunker") != asdict(settings):
        log.info("分段设置已改变，全部文章重新编码")
        return None
    return old


@dataclass
class _Entry:
    """One article of the new build: reused rows from the previous build, or freshly chunked."""

    record: dict[str, Any]
    chunks: list[Chunk]
    tokens: list[list[str]]
    vectors: np.ndarray | None = None


def _collect(
    sources: list[Path], previous: Index | None, embedder: Embedder, settings: ChunkSettings, report: BuildReport
) -> list[_Entry]:
    """Entries in source order; unchanged articles keep their chunks, tokens and vectors."""
    old_by_source = {a["source"]: a for a in previous.articles} if previous else {}
    old_rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(previous.chunks if previous else []):
        old_rows.setdefault(chunk.article_id, []).append(row)
    # Tokens made under another word list (or jieba version) are made again; vectors are kept.
    retokenise = previous is not None and previous.manifest.get("lexicon") != lexicon_fingerprint()
    if retokenise:
        log.info("分词词表已改变，重新分词（不重新编码）")
    entries: list[_Entry] = []
    for path in sources:
        old = old_by_source.get(path.name)
        try:
            unchanged = previous is not None and old is not None and sha256(path) == old["content_hash"]
        except FileNotFoundError:
            log.warning("skipped %s: it was removed while indexing", path.name)
            report.skipped.append(Skipped(path.name, f"{path.name} was removed while indexing"))
            continue
        if unchanged:
            rows = old_rows.get(old["id"], [])
            chunks = [previous.chunks[r] for r in rows]
            tokens = [lexical_tokens(lexical_text(c)) for c in chunks] if retokenise else [previous.tokens[r] for r in rows]
            reused = _Entry(old, chunks, tokens, previous.embeddings[rows])
            entries.append(reused)
            report.unchanged.append(path.name)
            continue
        article = read_or_skip(path)
        if isinstance(article, Skipped):
            report.skipped.append(article)
            continue
        (report.changed if old else report.added).append(path.name)
        chunks = chunk_article(article, settings)
        add_words([c.speaker for c in chunks])
        entries.append(_Entry(article_record(article, len(chunks)), chunks, [lexical_tokens(lexical_text(c)) for c in chunks]))
    kept = {e.record["source"] for e in entries}
    report.removed = sorted(set(old_by_source) - kept)
    _embed_fresh(entries, embedder, report)
    return entries


def _embed_fresh(entries: list[_Entry], embedder: Embedder, report: BuildReport) -> None:
    # One encode call over all new passages, so the encoder batches texts of similar length.
    fresh = [e for e in entries if e.vectors is None]
    texts = [embedding_text(c) for e in fresh for c in e.chunks]
    vectors = embedder.encode_passages(texts) if texts else np.zeros((0, embedder.dim), np.float32)
    cursor = 0
    for entry in fresh:
        entry.vectors = vectors[cursor : cursor + len(entry.chunks)]
        cursor += len(entry.chunks)
    report.embedded = len(texts)


def _write(
    index_dir: Path, embedder: Embedder, settings: ChunkSettings, entries: list[_Entry], report: BuildReport, exact_max: int
) -> Path:
    """Write a complete build folder, then point CURRENT at it in one atomic rename.

    On any failure nothing of the new build is left behind and the live index is untouched; a full
    disk or an unwritable folder is reported as such.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    folder = index_dir / f"build-{stamp}-{os.getpid()}"
    tmp = index_dir / f".tmp-{folder.name}"
    pointer = index_dir / "CURRENT.tmp"
    try:
        tmp.mkdir(parents=True)
        _fill(tmp, embedder, settings, entries, report, exact_max)
        os.rename(tmp, folder)
        pointer.write_text(folder.name + "\n", encoding="utf-8")
        os.replace(pointer, index_dir / "CURRENT")
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if current_folder(index_dir) != folder:  # never remove a build CURRENT already names
            shutil.rmtree(folder, ignore_errors=True)
        pointer.unlink(missing_ok=True)
        error = _write_error(index_dir, exc)
        if error is not None:
            raise error from exc
        raise
    _prune(index_dir, keep={folder.name})
    return folder


def _fill(tmp: Path, embedder: Embedder, settings: ChunkSettings, entries: list[_Entry], report: BuildReport, exact_max: int) -> None:
    """The data files and the manifest of a build, written into tmp and flushed to disk."""
    chunks = [c for e in entries for c in e.chunks]
    vectors = np.concatenate([e.vectors for e in entries if e.vectors is not None]).astype(np.float32)
    files = _write_data(tmp, entries, chunks, vectors, exact_max)
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": embedder.fingerprint,
        "dim": embedder.dim,
        "chunker": asdict(settings),
        "lexicon": lexicon_fingerprint(),
        "faiss": "flat" if len(chunks) <= exact_max else f"hnsw{HNSW_M}",
        "articles": {e.record["source"]: {"id": e.record["id"], "content_hash": e.record["content_hash"], "chunks": len(e.chunks)} for e in entries},
        "counts": {"articles": len(entries), "chunks": len(chunks), "skipped": len(report.skipped)},
        "skipped": [asdict(s) for s in report.skipped],
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": {name: sha256(tmp / name) for name in files},
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_dir(tmp)


def _write_data(tmp: Path, entries: list[_Entry], chunks: list[Chunk], vectors: np.ndarray, exact_max: int) -> list[str]:
    import faiss

    _write_jsonl(tmp / "chunks.jsonl", (c.to_dict() for c in chunks))
    _write_jsonl(tmp / "tokens.jsonl", (t for e in entries for t in e.tokens))
    _write_jsonl(tmp / "articles.jsonl", (e.record for e in entries))
    np.save(tmp / "embeddings.npy", vectors, allow_pickle=False)
    faiss.write_index(make_faiss(vectors, exact_max), str(tmp / "vectors.faiss"))
    lexical = LexicalIndex.build([t for e in entries for t in e.tokens])
    return ["chunks.jsonl", "tokens.jsonl", "articles.jsonl", "embeddings.npy", "vectors.faiss", *lexical.save(tmp)]


def make_faiss(vectors: np.ndarray, exact_max: int):  # type: ignore[no-untyped-def]
    """Exact inner product up to exact_max vectors; HNSW above, where exact search gets slow."""
    import faiss

    dim = vectors.shape[1]
    if len(vectors) <= exact_max:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def _write_jsonl(path: Path, rows: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(index_dir: Path, keep: set[str]) -> None:
    """Drop old builds and leftovers of killed builds; the previous build is kept for open readers."""
    builds = sorted(p for p in index_dir.glob("build-*") if p.is_dir())
    for old in builds[:-2]:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in index_dir.glob(".tmp-build-*"):
        if tmp.name[5:] not in keep:
            shutil.rmtree(tmp, ignore_errors=True)


