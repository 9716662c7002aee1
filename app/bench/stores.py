"""`biaogan bench --store milvus`: the two backends side by side at growing corpus sizes.

Real news passages are embedded with the configured model once; larger corpora repeat them with
perturbed vectors (synthetic, so that every row differs) and ids made unique. For each size and
backend: load (indexing) throughput, query p50/p95 of dense, BM25, hybrid and filtered search
(store.search alone: questions are encoded once beforehand), and resident memory. Speed is
measured here, never in tests.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import statistics
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from app.config import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)
MODES = ("dense", "bm25", "hybrid", "filtered")


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def children(pid: int) -> list[int]:
    """Processes started by pid (milvus-lite runs its server as one)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def material(settings: Settings, news: Path, n_articles: int) -> tuple[list[Any], list[list[str]], np.ndarray, Any]:
    """Real news passages, their lexical tokens and vectors from the configured model."""
    from app.bench.measure import news_articles
    from app.index.folder import embedding_text, lexical_text
    from app.ingest.passages import chunk_article
    from app.pipeline import chunk_settings, make_embedder
    from app.text import lexical_tokens

    embedder = make_embedder(settings)
    chunks = [c for a in news_articles(news, n_articles) for c in chunk_article(a, chunk_settings(settings))]
    tokens = [lexical_tokens(lexical_text(c)) for c in chunks]
    vectors = embedder.encode_passages([embedding_text(c) for c in chunks])
    return chunks, tokens, vectors, embedder


def grow(chunks: list[Any], tokens: list[list[str]], vectors: np.ndarray, size: int) -> tuple[list[Any], list[list[str]], np.ndarray]:
    """size passages: the real ones repeated, ids made unique, vectors perturbed and renormalised."""
    reps = -(-size // len(chunks))
    rng = np.random.default_rng(0)
    grown = [replace(c, id=f"{c.id}#{r}") for r in range(reps) for c in chunks][:size]
    noisy = np.tile(vectors.astype(np.float32), (reps, 1))[:size]
    noisy += 0.02 * rng.standard_normal(noisy.shape, dtype=np.float32)  # float32 throughout: 1.5 GB at 1M
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return grown, (tokens * reps)[:size], noisy


def load_faiss(chunks: list[Any], tokens: list[list[str]], vectors: np.ndarray, exact_max: int) -> Any:
    from app.index.bm25 import LexicalIndex
    from app.index.folder import Index
    from app.index.stores import FaissStore
    from app.index.writer import make_faiss

    manifest = {"counts": {"chunks": len(chunks), "articles": 0}, "model": "bench"}
    return FaissStore(Index(Path("."), manifest, chunks, vectors, make_faiss(vectors, exact_max), LexicalIndex.build(tokens), []))


def load_milvus(settings: Settings, chunks: list[Any], tokens: list[list[str]], vectors: np.ndarray, name: str) -> Any:
    from app.index.milvus_build import insert_passages, write_terms
    from app.index.milvus_common import connect, create_meta, create_passages, is_lite, meta_row, milvus_uri
    from app.index.milvus_store import MilvusStore

    client = connect(settings)
    for old in (name, f"{name}_meta"):
        if client.has_collection(old):
            client.drop_collection(old)
    create_passages(client, name, vectors.shape[1], settings.milvus_lexical, is_lite(milvus_uri(settings)))
    create_meta(client, f"{name}_meta")
    avgdl = float(np.mean([len(t) for t in tokens]))
    insert_passages(client, name, chunks, tokens, vectors, avgdl, settings.milvus_lexical == "native")
    write_terms(client, f"{name}_meta", Counter(t for ts in tokens for t in set(ts)), {})
    manifest = {"counts": {"chunks": len(chunks), "articles": 0}, "avgdl": avgdl, "lexical": settings.milvus_lexical}
    client.insert(f"{name}_meta", [meta_row("manifest", "manifest", 0, json.dumps(manifest))])
    return MilvusStore(client, name, manifest, [])


def time_queries(store: Any, questions: list[str], vectors: np.ndarray, filtered: Any) -> dict[str, dict[str, float]]:
    """p50/p95 ms of store.search per mode; the first pass warms caches and is not counted."""
    from app.schema import Filters

    def one(mode: str, question: str, vector: np.ndarray) -> None:
        how = {"dense": "dense", "bm25": "lexical", "hybrid": "hybrid", "filtered": "hybrid"}[mode]
        store.search(question, vector, k=5, mode=how, filters=filtered if mode == "filtered" else Filters(), candidates=50, fusion="rrf", rrf_k=60)

    out = {}
    for mode in MODES:
        for q, v in zip(questions[:5], vectors[:5]):
            one(mode, q, v)
        times = []
        for q, v in zip(questions, vectors):
            started = time.perf_counter()
            one(mode, q, v)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        out[mode] = {"p50": statistics.median(times), "p95": times[min(len(times) - 1, int(0.95 * len(times)))]}
    return out


def run_store_bench(settings: Settings, news: Path, n_articles: int, sizes: list[int], stores: list[str], out: Path) -> str:
    """Both backends at each size; writes store-bench.json and returns a Markdown table."""
    from app.evaluation.metrics import load_questions
    from app.schema import Filters

    chunks, tokens, vectors, embedder = material(settings, news, n_articles)
    questions = [q.question for q in load_questions(PROJECT_ROOT / "eval" / "seeds_qa.jsonl")][:60]
    qvectors = embedder.encode_queries(questions)
    articles = list(dict.fromkeys(c.article_id for c in chunks))
    filtered = Filters(article_ids=tuple(articles[:3]))  # a few articles' passages (and their copies)
    milvus_settings = settings.model_copy(update={"milvus_uri": settings.milvus_uri or str(out / "milvus.db")})
    rows = []
    for size in sizes:
        grown = grow(chunks, tokens, vectors, size)
        for backend in stores:
            gc.collect()
            started = time.perf_counter()
            if backend == "faiss":
                store = load_faiss(*grown, settings.exact_index_max)
            else:
                store = load_milvus(milvus_settings, *grown, name=f"bench_{size}")
            load_s = time.perf_counter() - started
            row = {"backend": backend, "size": size, "load_per_s": size / load_s, "load_s": load_s,
                   **time_queries(store, questions, qvectors, filtered), "rss_mb": rss_mb(os.getpid())}
            if backend == "milvus":
                row["server_rss_mb"] = sum(rss_mb(pid) for pid in children(os.getpid()))
                store.client.drop_collection(f"bench_{size}")
                store.client.drop_collection(f"bench_{size}_meta")
            log.info("bench %s %d: %s", backend, size, {k: v for k, v in row.items() if k not in ("backend", "size")})
            rows.append(row)
            del store
    out.mkdir(parents=True, exist_ok=True)
    (out / "store-bench.json").write_text(json.dumps({"passages_embedded": len(chunks), "rows": rows}, indent=1), encoding="utf-8")
    return table(rows, len(chunks))


def table(rows: list[dict[str, Any]], real: int) -> str:
    lines = [f"Passages embedded by the model: {real}; larger sizes repeat them with perturbed (synthetic) vectors.",
             "Query times are store.search alone (k=5, 50 candidates per retriever); questions are encoded beforehand.", "",
             "| backend | passages | load/s | dense p50/p95 ms | BM25 p50/p95 ms | hybrid p50/p95 ms | filtered p50/p95 ms | RSS MB (client + server) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = " | ".join(f"{r[m]['p50']:.1f} / {r[m]['p95']:.1f}" for m in MODES)
        memory = f"{r['rss_mb']:.0f}" + (f" + {r['server_rss_mb']:.0f}" if "server_rss_mb" in r else "")
        lines.append(f"| {r['backend']} | {r['size']:,} | {r['load_per_s']:,.0f} | {cells} | {memory} |")
    return "\n".join(lines)
