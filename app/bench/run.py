"""Run the benchmark and write its table, JSON and plot (see app/bench/measure.py for the measurements)."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from app.bench.measure import cold_start, hnsw_recall, news_articles, serving_memory, synthetic_index, time_indexing, time_queries
from app.config import PROJECT_ROOT, Settings
from app.evaluation.metrics import load_questions
from app.ingest.passages import ChunkSettings
from app.pipeline import Pipeline, load_pipeline

log = logging.getLogger(__name__)
GOALS = "retrieval p50 ≤ 30 ms and answer p50 ≤ 80 ms at 10k; indexing within 10% of raw encode; cold start ≤ 6 s; serving RSS ≤ 1.2 GB"


def _baseline_search(texts: list[str], vectors: np.ndarray, embedder: Any) -> Any:
    """The LangChain baseline's retrieval over the same passages and vectors, as a callable."""
    from app.evaluation.baseline import import_faiss_store
    from app.integrations import embeddings_class

    FAISS, strategy = import_faiss_store()
    store = FAISS.from_embeddings(zip(texts, vectors.tolist()), embeddings_class()(embedder), distance_strategy=strategy.MAX_INNER_PRODUCT)
    return lambda q: store.similarity_search_with_score(q, k=5)


def run_bench(settings: Settings, news: Path, index_articles: int, sizes: list[int], out: Path | None) -> tuple[str, Path]:
    """Measure everything; returns (table, report folder)."""
    out = out or PROJECT_ROOT / "eval" / "reports" / f"bench-{datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    questions = [q.question for q in load_questions(PROJECT_ROOT / "eval" / "seeds_qa.jsonl") if not q.extra.get("english") and q.kind not in ("english", "followup")][:60]
    seeds_pipeline = load_pipeline(settings)
    embedder = seeds_pipeline.embedder
    result: dict[str, Any] = {"goals": GOALS, "questions": len(questions)}

    articles = news_articles(news, index_articles)
    indexing = time_indexing(articles, embedder, ChunkSettings(settings.chunk_max_chars, settings.chunk_min_chars))
    chunks, tokens, vectors = indexing.pop("chunks"), indexing.pop("tokens"), indexing.pop("vectors")
    from app.evaluation.baseline import LangChainBaseline

    started = time.perf_counter()
    baseline = LangChainBaseline.build(articles, embedder)
    indexing["baseline_pieces"] = baseline.n_chunks
    indexing["baseline_per_s"] = baseline.n_chunks / (time.perf_counter() - started)
    result["indexing"] = indexing

    seed_texts = [c.text for c in seeds_pipeline.index.chunks]
    seed_baseline = _baseline_search(seed_texts, seeds_pipeline.index.embeddings, embedder)
    rows = [{"size": len(seeds_pipeline.index.chunks), "label": "seeds", **time_queries(seeds_pipeline, questions, seed_baseline)}]
    for size in sizes:
        index = synthetic_index(chunks, tokens, vectors, size, settings.exact_index_max)
        pipeline = Pipeline(settings, embedder, index)
        row = {"size": size, "label": f"{size // 1000}k" if size >= 1000 else str(size), "faiss": type(index.vectors).__name__}
        baseline = _baseline_search([c.text for c in index.chunks], index.embeddings, embedder)
        row.update(time_queries(pipeline, questions, baseline))
        rows.append(row)
        log.info("bench %s: retrieve p50 %.1f ms, answer p50 %.1f ms", row["label"], row["retrieve_ms"]["p50"], row["answer_ms"]["p50"])
    result["latency"] = rows
    big = synthetic_index(chunks, tokens, vectors, max(sizes), 0)
    queries = embedder.encode_queries(questions[:30])
    result["hnsw_recall@10"] = {"size": max(sizes), "recall": hnsw_recall(big.embeddings, queries)}
    result["cold_start_s"] = cold_start(settings, questions[0])
    result["serving"] = serving_memory(settings, questions[:20])
    (out / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    table = bench_table(result)
    (out / "bench.md").write_text(f"# biaogan benchmark\n\nGoals: {GOALS}\n\n{table}\n\n![latency](latency.png)\n", encoding="utf-8")
    _plot(rows, out / "latency.png")
    return table, out


def bench_table(result: dict[str, Any]) -> str:
    ix = result["indexing"]
    lines = [
        f"Indexing {ix['passages']} news passages: pipeline {ix['pipeline_per_s']:.1f} passages/s, raw encode of the same texts "
        f"{ix['raw_per_s']:.1f}/s (overhead {ix['overhead'] * 100:+.1f}%); LangChain baseline {ix['baseline_per_s']:.1f} pieces/s "
        f"({ix['baseline_pieces']} pieces of 500 chars).",
        "",
        "| corpus | passages | retrieval p50 / p95 ms | full answer p50 / p95 ms | LangChain baseline p50 / p95 ms |",
        "|---|---|---|---|---|",
    ]
    for row in result["latency"]:
        r, a, b = row["retrieve_ms"], row["answer_ms"], row["baseline_ms"]
        lines.append(f"| {row['label']} | {row['size']} | {r['p50']:.1f} / {r['p95']:.1f} | {a['p50']:.1f} / {a['p95']:.1f} | {b['p50']:.1f} / {b['p95']:.1f} |")
    hn = result["hnsw_recall@10"]
    lines += ["", f"HNSW recall@10 against exact search at {hn['size']} passages: {hn['recall']:.3f}",
              f"Cold start (process start to first answer, index present): {result['cold_start_s']:.1f} s",
              f"Serving memory after {20} API questions: peak RSS {result['serving']['peak_rss_mb']:.0f} MB, now {result['serving']['rss_mb']:.0f} MB"]
    return "\n".join(lines)


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["size"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in (("retrieve_ms", "biaogan retrieval"), ("answer_ms", "biaogan full answer"), ("baseline_ms", "LangChain baseline")):
        ax.plot(sizes, [r[key]["p50"] for r in rows], marker="o", label=f"{label} p50")
    ax.set(xscale="log", xlabel="passages in the index", ylabel="ms", title="Query latency against corpus size (2 cores)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
