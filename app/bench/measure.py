"""`biaogan bench`: where the time goes. Indexing against the model's raw encode speed, query latency
at growing corpus sizes, cold start, serving memory, and the LangChain baseline on the same machine.

Prints a table and writes bench.md, bench.json and latency.png. Speed is measured here, never in tests.
"""

from __future__ import annotations

import logging
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from app.config import Settings
from app.evaluation.metrics import percentile
from app.index.bm25 import LexicalIndex
from app.index.folder import Index, embedding_text, lexical_text
from app.index.writer import make_faiss
from app.ingest.clean import clean, is_body
from app.ingest.passages import ChunkSettings, chunk_article
from app.ingest.read import extract_text, parse_article, scan_sources
from app.pipeline import Pipeline
from app.text import lexical_tokens

log = logging.getLogger(__name__)
_NEWS_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})[^，]*，正文：(.*)$")


def news_articles(path: Path, limit: int) -> list[Any]:
    """CRUD-RAG news lines as Articles (read in place, never copied)."""
    articles = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if len(articles) >= limit:
                break
            match = _NEWS_LINE.match(line.strip())
            if match:
                body = match.group(2)
                text = body.replace("。", "。\n").strip()
                articles.append(replace(parse_article(f"news{number:05d}.txt", line.encode("utf-8"), text), date=match.group(1)))
    return articles


def percentiles(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95), "mean": statistics.fmean(values)}


def time_indexing(articles: list[Any], embedder: Any, settings: ChunkSettings) -> dict[str, Any]:
    """Pipeline indexing (chunk + tokenize + embed + BM25 + FAISS) against raw encode of the same texts.

    The two alternate (pipeline, raw, pipeline, raw) and each side is the mean of its two runs, so a
    drift in the machine's speed during the benchmark does not land on one side.
    """
    # First-call costs (loading sentence-transformers, threads, allocations) belong to neither side.
    if hasattr(embedder, "model"):
        embedder.model.encode(["预热"] * 4)
    embedder.encode_passages(["预热"] * 4)
    lexical_tokens("预热")

    def pipeline_run() -> tuple[float, list[Any], list[list[str]], list[str], np.ndarray]:
        started = time.perf_counter()
        chunks = [c for a in articles for c in chunk_article(a, settings)]
        tokens = [lexical_tokens(lexical_text(c)) for c in chunks]
        texts = [embedding_text(c) for c in chunks]
        vectors = embedder.encode_passages(texts)
        LexicalIndex.build(tokens)
        make_faiss(vectors, 50_000)
        return time.perf_counter() - started, chunks, tokens, texts, vectors

    def raw_run(texts: list[str]) -> float:
        started = time.perf_counter()
        embedder.model.encode([embedder.passage_prompt + t for t in texts], batch_size=embedder.batch_size, normalize_embeddings=True)
        return time.perf_counter() - started

    first, chunks, tokens, texts, vectors = pipeline_run()
    raw_first = raw_run(texts)
    second = pipeline_run()[0]
    raw_second = raw_run(texts)
    pipeline_s, raw_s = (first + second) / 2, (raw_first + raw_second) / 2
    return {"passages": len(chunks), "pipeline_s": pipeline_s, "raw_encode_s": raw_s,
            "pipeline_per_s": len(chunks) / pipeline_s, "raw_per_s": len(chunks) / raw_s,
            "overhead": pipeline_s / raw_s - 1.0, "chunks": chunks, "tokens": tokens, "vectors": vectors}


def synthetic_index(chunks: list[Any], tokens: list[list[str]], vectors: np.ndarray, size: int, exact_max: int) -> Index:
    """An index of `size` passages: real passages and tokens repeated, vectors perturbed so they differ."""
    rng = np.random.default_rng(0)
    reps = -(-size // len(chunks))
    all_chunks = [replace(c, id=f"{c.id}#{r}") for r in range(reps) for c in chunks][:size]
    all_tokens = (tokens * reps)[:size]
    base = np.tile(vectors, (reps, 1))[:size]
    noisy = base + rng.normal(0, 0.02, base.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    manifest = {"counts": {"chunks": size, "articles": 0}, "model": "bench"}
    return Index(Path("."), manifest, all_chunks, noisy.astype(np.float32), make_faiss(noisy, exact_max), LexicalIndex.build(all_tokens), [])


def time_queries(pipeline: Pipeline, questions: list[str], baseline: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """Retrieval alone, the baseline's retrieval and a full extractive answer, per question, cold.

    Ours and the baseline are timed question by question, alternating which goes first over two
    passes, so a drift in the machine's speed lands on both alike.
    """
    retrieve, base, answer = [], [], []

    def ours(q: str) -> None:
        pipeline.embedder.clear_cache()
        started = time.perf_counter()
        pipeline.retrieve(q)
        retrieve.append((time.perf_counter() - started) * 1000)

    def theirs(q: str) -> None:
        started = time.perf_counter()
        baseline(q)  # type: ignore[misc]
        base.append((time.perf_counter() - started) * 1000)

    for turn in range(2):
        for q in questions:
            order = (ours, theirs) if turn == 0 else (theirs, ours)
            for step in order:
                if step is ours or baseline is not None:
                    step(q)
    for q in questions:
        pipeline.embedder.clear_cache()
        started = time.perf_counter()
        pipeline.ask(q)
        answer.append((time.perf_counter() - started) * 1000)
    out = {"retrieve_ms": percentiles(retrieve), "answer_ms": percentiles(answer)}
    if baseline is not None:
        out["baseline_ms"] = percentiles(base)
    return out


def hnsw_recall(vectors: np.ndarray, queries: np.ndarray, k: int = 10) -> float:
    """Share of the exact top-k that the approximate index returns."""
    exact = make_faiss(vectors, len(vectors) + 1)
    approx = make_faiss(vectors, 0)
    _, truth = exact.search(queries, k)
    _, found = approx.search(queries, k)
    return float(np.mean([len(set(t) & set(f)) / k for t, f in zip(truth, found)]))


def cold_start(settings: Settings, question: str) -> float:
    """Seconds from process start to the first answer, with an index present."""
    exe = Path(sys.executable).with_name("biaogan")
    env = {"BIAOGAN_INDEX_DIR": str(settings.index_dir), "BIAOGAN_SEEDS_DIR": str(settings.seeds_dir), "PATH": "/usr/bin:/bin"}
    subprocess.run([str(exe), "-q", "index"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run([str(exe), "-q", "ask", question, "--json"], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def serving_memory(settings: Settings, questions: list[str], port: int = 7897) -> dict[str, float]:
    """Peak resident memory (MB) of `biaogan serve` after answering questions through its API."""
    from gradio_client import Client

    exe = Path(sys.executable).with_name("biaogan")
    env = {"BIAOGAN_INDEX_DIR": str(settings.index_dir), "BIAOGAN_SEEDS_DIR": str(settings.seeds_dir), "PATH": "/usr/bin:/bin",
           "GRADIO_ANALYTICS_ENABLED": "False", "HOME": str(Path.home())}
    server = subprocess.Popen([str(exe), "-q", "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = _connect(f"http://127.0.0.1:{port}/", Client)
        for q in questions:
            client.predict(q, None, api_name="/ask")
        status = Path(f"/proc/{server.pid}/status").read_text()
        peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
        current = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
        return {"peak_rss_mb": peak, "rss_mb": current}
    finally:
        server.terminate()
        server.wait(timeout=20)


def _connect(url: str, client_cls: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client_cls(url, verbose=False)
        except Exception:  # the server is still starting
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def ocr_style_text(seeds_dir: Path, lines: int) -> str:
    """`lines` lines of OCR-style text: the seed articles' prose cut into 20-character column lines,
    each with a stray wrap space, most ending mid-sentence (so they are rejoined)."""
    sources, _ = scan_sources(seeds_dir)
    texts = [extract_text(p.name, p.read_bytes()) for p in sources]
    prose = re.sub(r"\s+", "", "".join(line for text in texts for line in text.split("\n") if is_body(line)))
    out = []
    for i in range(lines):
        start = (i * 20) % (len(prose) - 20)
        piece, cut = prose[start : start + 20], 7 + i % 9
        out.append(piece[:cut] + " " + piece[cut:])
    return "\n".join(out)


def time_cleaning(seeds_dir: Path, base_lines: int = 1000, scales: tuple[int, ...] = (1, 10, 100)) -> list[dict[str, Any]]:
    """Seconds to clean an OCR-style text at each multiple of base_lines: flat per character if linear."""
    rows = []
    for scale in scales:
        text = ocr_style_text(seeds_dir, base_lines * scale)
        started = time.perf_counter()
        _, repairs = clean(text)
        seconds = time.perf_counter() - started
        rows.append({"scale": scale, "lines": base_lines * scale, "chars": len(text), "mb": len(text.encode("utf-8")) / 2**20,
                     "seconds": seconds, "us_per_char": seconds / len(text) * 1e6, "repairs": len(repairs)})
        log.info("cleaning %dx: %.2f s", scale, seconds)
    return rows


def cleaning_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| size | lines | characters | MB (UTF-8) | cleaning s | µs per character | repairs |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['scale']}× | {r['lines']:,} | {r['chars']:,} | {r['mb']:.2f} | {r['seconds']:.2f} | {r['us_per_char']:.2f} | {r['repairs']:,} |")
    return "\n".join(lines)
