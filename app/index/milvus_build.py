"""`biaogan index` into Milvus: a full build writes a new collection pair and moves the alias; an
update deletes and inserts the changed articles in the live collection and keeps the document
frequencies of the lexical terms in step."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from app.errors import SeedsError
from app.index.folder import BuildReport, article_record, embedding_text, lexical_text
from app.index.milvus_common import (
    FORMAT_VERSION,
    MAX_BODY,
    alias_name,
    connect,
    create_meta,
    create_passages,
    is_lite,
    live_collection,
    meta_row,
    milvus_uri,
    point_alias,
    quoted,
)
from app.index.milvus_store import bm25_weights, read_kind, read_meta
from app.ingest.passages import ChunkSettings, chunk_article
from app.ingest.read import Skipped, list_sources, read_or_skip
from app.model.embed import Embedder
from app.schema import Chunk
from app.text import add_words, lexical_tokens

log = logging.getLogger(__name__)
BATCH = 500


@contextmanager
def _lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".milvus-lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def voices_summary(chunks: list[Chunk]) -> list[dict[str, Any]]:
    """The distinct who-speaks records of an article's passages, in order: enough to rebuild the
    entity lists (people, departments, posts) without reading every passage."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for c in chunks:
        key = (c.speaker, c.position, c.department, tuple((v[2], v[3]) for v in c.voices))
        if key not in seen:
            seen[key] = Chunk(
                id="", article_id=c.article_id, section_id="", ordinal=0, start=0, end=0, text="", article_title="", date=c.date,
                section_title="", section_kind="", speaker=c.speaker, position=c.position, department=c.department,
                voices=tuple((0, 0, name, pos) for name, pos in key[3]),
            ).to_dict()
    return list(seen.values())


def _article_body(record: dict[str, Any]) -> str:
    """The article row's JSON, without the repair log and then the sections if it is too long for Milvus."""
    for dropped in ((), ("repairs",), ("repairs", "sections")):
        body = json.dumps({k: v for k, v in record.items() if k not in dropped}, ensure_ascii=False)
        if len(body.encode("utf-8")) < MAX_BODY:
            return body
    raise SeedsError(f"article {record['source']} has too many speakers to index in Milvus", "split the article into several files")


def passage_row(chunk: Chunk, tokens: list[str], vector: np.ndarray, avgdl: float, native: bool) -> dict[str, Any]:
    names = [chunk.speaker, *(v[2] for v in chunk.voices)]
    positions = [chunk.position, *(v[3] for v in chunk.voices)]
    row = {
        "id": chunk.id, "article_id": chunk.article_id, "ordinal": chunk.ordinal, "date": chunk.date or "",
        "names": "|" + "|".join(n for n in names if n) + "|", "positions": "|".join(p for p in positions if p),
        "newspaper": chunk.newspaper, "text": chunk.text, "lextext": lexical_text(chunk) if native else "",
        "terms": json.dumps(sorted(set(tokens)), ensure_ascii=False), "chunk": json.dumps(chunk.to_dict(), ensure_ascii=False),
        "dense": vector.astype(np.float32).tolist(),
    }
    if not native:
        row["lex"] = bm25_weights(tokens, avgdl)
    return row


def insert_passages(client: Any, collection: str, chunks: list[Chunk], tokens: list[list[str]], vectors: np.ndarray, avgdl: float, native: bool) -> None:
    for start in range(0, len(chunks), BATCH):
        rows = [passage_row(c, t, v, avgdl, native) for c, t, v in zip(chunks[start:start + BATCH], tokens[start:start + BATCH], vectors[start:start + BATCH])]
        client.insert(collection, rows)


def write_terms(client: Any, meta: str, changes: Counter[str], known: dict[str, int]) -> None:
    """Apply document-frequency changes: upsert the terms still used, delete those no passage has."""
    rows, gone = [], []
    for term, delta in changes.items():
        df = known.get(term, 0) + delta
        (rows.append(meta_row(f"t:{term}", "term", df, "")) if df > 0 else gone.append(f"t:{term}"))
    for start in range(0, len(rows), 5 * BATCH):
        client.upsert(meta, rows[start:start + 5 * BATCH])
    for start in range(0, len(gone), 5 * BATCH):
        client.delete(meta, filter=f"key in [{', '.join(quoted(k) for k in gone[start:start + 5 * BATCH])}]")


def _prepare(path: Path, settings: ChunkSettings, report: BuildReport) -> tuple[dict[str, Any], list[Chunk], list[list[str]]] | None:
    article = read_or_skip(path)
    if isinstance(article, Skipped):
        report.skipped.append(article)
        return None
    chunks = chunk_article(article, settings)
    add_words([c.speaker for c in chunks])
    record = article_record(article, len(chunks))
    record["voices_summary"] = voices_summary(chunks)
    return record, chunks, [lexical_tokens(lexical_text(c)) for c in chunks]


def build_milvus(settings: Any, seeds_dir: Path, embedder: Embedder, chunker: ChunkSettings, *, rebuild: bool = False) -> BuildReport:
    """Index seeds_dir into Milvus: a new collection when rebuilding (or the model or chunking
    changed), otherwise only the new, changed and removed articles of the live one."""
    started = time.perf_counter()
    sources = list_sources(seeds_dir)
    client, alias, lite = connect(settings), alias_name(settings), is_lite(milvus_uri(settings))
    with _lock(Path(settings.index_dir)):
        live = live_collection(client, alias, lite)
        manifest = _live_manifest(client, live)
        wanted = {"format_version": FORMAT_VERSION, "model": embedder.fingerprint, "dim": embedder.dim, "chunker": asdict(chunker), "lexical": settings.milvus_lexical}
        report = BuildReport()
        if rebuild or manifest is None or any(manifest.get(k) != v for k, v in wanted.items()):
            _full(client, alias, lite, live, sources, embedder, chunker, wanted, report)
        else:
            _update(client, live, manifest, sources, embedder, chunker, report)  # type: ignore[arg-type]
    report.seconds = time.perf_counter() - started
    log.info("index (milvus): %d new, %d changed, %d removed, %d unchanged, %d skipped; %d passages, %d embedded, %.1f s",
             len(report.added), len(report.changed), len(report.removed), len(report.unchanged), len(report.skipped), report.chunks, report.embedded, report.seconds)
    return report


def _live_manifest(client: Any, live: str | None) -> dict[str, Any] | None:
    if live is None or not client.has_collection(live) or not client.has_collection(f"{live}_meta"):
        return None
    row = read_meta(client, f"{live}_meta", ["manifest"]).get("manifest")
    return json.loads(row["body"]) if row else None


def _embed(embedder: Embedder, chunks: list[Chunk]) -> np.ndarray:
    if not chunks:
        return np.zeros((0, embedder.dim), np.float32)
    return embedder.encode_passages([embedding_text(c) for c in chunks])


def _full(client: Any, alias: str, lite: bool, live: str | None, sources: list[Path], embedder: Embedder, chunker: ChunkSettings, wanted: dict[str, Any], report: BuildReport) -> None:
    prepared = [p for p in (_prepare(path, chunker, report) for path in sources) if p is not None]
    if not prepared:
        raise SeedsError("no readable article in the seeds folder", "check the warnings above; files must be UTF-8 or GBK text, HTML or .docx")
    report.added = [r["source"] for r, _, _ in prepared]
    chunks = [c for _, cs, _ in prepared for c in cs]
    tokens = [t for _, _, ts in prepared for t in ts]
    vectors = _embed(embedder, chunks)
    report.embedded = report.chunks = len(chunks)
    name = f"{alias}_{datetime.now(timezone.utc).strftime('%Y%m%d%H%M%S%f')}"
    native = wanted["lexical"] == "native"
    create_passages(client, name, embedder.dim, wanted["lexical"], lite)
    create_meta(client, f"{name}_meta")
    avgdl = float(np.mean([len(t) for t in tokens])) if tokens else 1.0
    insert_passages(client, name, chunks, tokens, vectors, avgdl, native)
    write_terms(client, f"{name}_meta", Counter(t for ts in tokens for t in set(ts)), {})
    client.insert(f"{name}_meta", [meta_row(f"a:{r['source']}", "article", len(cs), _article_body(r)) for r, cs, _ in prepared])
    manifest = {**wanted, "avgdl": avgdl, "counts": {"articles": len(prepared), "chunks": len(chunks), "skipped": len(report.skipped)},
                "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    client.insert(f"{name}_meta", [meta_row("manifest", "manifest", 0, json.dumps(manifest, ensure_ascii=False))])
    point_alias(client, alias, name, lite)
    report.folder = name
    _prune(client, alias, keep={name, live or ""})


def _prune(client: Any, alias: str, keep: set[str]) -> None:
    """Drop index versions older than the previous one (which open readers may still be using)."""
    for name in client.list_collections():
        base = name[:-5] if name.endswith("_meta") else name
        if base.startswith(f"{alias}_") and base[len(alias) + 1:].isdigit() and base not in keep:
            client.drop_collection(name)
            log.info("milvus: dropped old collection %s", name)


def _update(client: Any, live: str, manifest: dict[str, Any], sources: list[Path], embedder: Embedder, chunker: ChunkSettings, report: BuildReport) -> None:
    meta = f"{live}_meta"
    old = {json.loads(r["body"])["source"]: json.loads(r["body"]) for r in read_kind(client, meta, "article")}
    fresh: list[tuple[dict[str, Any], list[Chunk], list[list[str]]]] = []
    for path in sources:
        previous = old.get(path.name)
        if previous and _sha256(path) == previous["content_hash"]:
            report.unchanged.append(path.name)
            continue
        prepared = _prepare(path, chunker, report)
        if prepared is not None:
            (report.changed if previous else report.added).append(path.name)
            fresh.append(prepared)
    report.removed = sorted(set(old) - {p.name for p in sources})
    stale = [old[s]["id"] for s in report.changed + report.removed]
    changes: Counter[str] = Counter()
    removed = 0
    if stale:
        removed = _remove_articles(client, live, stale, changes)
        client.delete(meta, filter=f"key in [{', '.join(quoted('a:' + s) for s in report.changed + report.removed)}]")
    chunks = [c for _, cs, _ in fresh for c in cs]
    tokens = [t for _, _, ts in fresh for t in ts]
    vectors = _embed(embedder, chunks)
    report.embedded = len(chunks)
    insert_passages(client, live, chunks, tokens, vectors, float(manifest["avgdl"]), manifest["lexical"] == "native")
    changes.update(t for ts in tokens for t in set(ts))
    known = {k[2:]: int(r["num"]) for k, r in read_meta(client, meta, [f"t:{t}" for t in changes]).items()}
    write_terms(client, meta, changes, known)
    if fresh:
        client.upsert(meta, [meta_row(f"a:{r['source']}", "article", len(cs), _article_body(r)) for r, cs, _ in fresh])
    counts = manifest["counts"]
    counts["articles"] = len(old) - len(report.removed) + len(report.added)
    counts["chunks"] = int(counts["chunks"]) + len(chunks) - removed
    counts["skipped"] = len(report.skipped)
    report.chunks = counts["chunks"]
    report.folder = live
    if fresh or stale:
        client.upsert(meta, [meta_row("manifest", "manifest", 0, json.dumps(manifest, ensure_ascii=False))])


def _remove_articles(client: Any, live: str, article_ids: list[str], changes: Counter[str]) -> int:
    """Delete the articles' passages and count their terms down; returns how many passages went."""
    expr = f"article_id in [{', '.join(quoted(a) for a in article_ids)}]"
    rows = client.query(live, filter=expr, output_fields=["terms"], limit=16_384)
    for row in rows:
        changes.subtract(json.loads(row["terms"]))
    client.delete(live, filter=expr)
    return len(rows)
