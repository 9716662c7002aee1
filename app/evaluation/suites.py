"""Evaluation runs: the seed question set (ours and the LangChain baseline side by side) and RGB."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from app.evaluation.metrics import (
    RETRIEVAL_COLUMNS,
    EvidenceLocator,
    Question,
    answer_row,
    fact_present,
    percentile,
    retrieval_metrics,
    run_retrieval,
    summarise_answers,
)
from app.schema import Article

log = logging.getLogger(__name__)


def _strip(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k != "rows"}


def run_seed_suite(pipeline, questions: list[Question], modes: list[str], k: int, progress: bool) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Retrieval in each mode, then answers (hybrid retrieval) for every question."""
    retrieval = {mode: run_retrieval(pipeline, questions, mode) for mode in modes}
    locator = EvidenceLocator(pipeline.index.chunks)
    pipeline.embedder.clear_cache()
    rows = [answer_row(pipeline, q, locator, k) for q in tqdm(questions, desc="answers", disable=not progress)]
    for row in rows:
        for mode, summary in retrieval.items():
            match = next((r for r in summary["rows"] if r["id"] == row["id"]), None)
            if match:
                row[f"retrieval_{mode}"] = {name: match[name] for name in RETRIEVAL_COLUMNS} | {"ranked": match["ranked"]}
    return {"retrieval": {m: _strip(s) for m, s in retrieval.items()}, "answers": summarise_answers(rows), "rows": rows}


class _BaselineLocator:
    """Which baseline pieces hold an evidence quote: by text, or by overlap of positions in the article."""

    def __init__(self, articles: list[Article]) -> None:
        self.texts = {a.id: a.text for a in articles}

    def relevant(self, quote: str, hit) -> bool:  # type: ignore[no-untyped-def]
        if quote in hit.text:
            return True
        text = self.texts.get(hit.article_id, "")
        start = text.find(quote)
        if start < 0 or hit.start is None:
            return False
        overlap = min(start + len(quote), hit.start + len(hit.text)) - max(start, hit.start)
        return overlap >= 0.5 * len(quote)


def run_baseline_seeds(articles: list[Article], embedder, questions: list[Question], progress: bool) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The LangChain baseline on the same questions: retrieval metrics and 'top passage as the answer'."""
    from app.evaluation.baseline import LangChainBaseline

    started = time.perf_counter()
    baseline = LangChainBaseline.build(articles, embedder)
    build_s = time.perf_counter() - started
    locator = _BaselineLocator(articles)
    embedder.clear_cache()
    rows = []
    for q in tqdm(questions, desc="baseline", disable=not progress):
        began = time.perf_counter()
        hits = baseline.retrieve(q.question, k=10)
        elapsed = (time.perf_counter() - began) * 1000
        answer = hits[0].text if hits else ""
        row: dict[str, Any] = {"id": q.id, "kind": q.kind, "ms": elapsed, "answer": answer, "answerable": q.kind != "unanswerable"}
        if q.evidence:
            ids = [str(h.rank) for h in hits]
            sets = [{str(h.rank) for h in hits if locator.relevant(e, h)} for e in q.evidence]
            row.update(retrieval_metrics(ids, sets))
        if row["answerable"]:
            row["correct"] = bool(answer) and all(fact_present(f, answer) for f in q.key_facts)
        rows.append(row)
    scored = [r for r in rows if "recall@1" in r and r["kind"] not in ("followup", "unanswerable")]
    answerable = [r for r in rows if r["answerable"]]
    by_kind = {kind: sum(r.get("correct", False) for r in rows if r["kind"] == kind) / max(1, sum(r["kind"] == kind for r in rows))
               for kind in sorted({r["kind"] for r in rows})}
    return {
        "pieces": baseline.n_chunks, "build_s": build_s,
        "retrieval": {name: sum(r[name] for r in scored) / len(scored) for name in RETRIEVAL_COLUMNS} | {"n": len(scored)},
        "answers": {
            "n": len(rows), "accuracy": sum(r["correct"] for r in answerable) / len(answerable) if answerable else 0.0,
            "refusal_recall": 0.0, "false_refusals": 0.0, "by_kind": by_kind | {"unanswerable": 0.0},
            "p50_ms": percentile([r["ms"] for r in rows], 0.5), "p95_ms": percentile([r["ms"] for r in rows], 0.95),
        },
        "rows": rows,
    }


def run_baseline_rgb(items, files: dict[str, str], embedder, progress: bool) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The LangChain baseline end to end on RGB: every passage split 500/50, top passage as the answer."""
    from app.evaluation.baseline import LangChainBaseline
    from app.evaluation.rgb import rgb_correct
    from app.ingest.read import parse_article

    articles = [parse_article(name, text.encode("utf-8"), text) for text, name in files.items() if text.strip()]
    started = time.perf_counter()
    baseline = LangChainBaseline.build(articles, embedder)
    build_s = time.perf_counter() - started
    source_of = {a.id: a.source for a in articles}
    embedder.clear_cache()  # our run just encoded the same questions
    rows = []
    for item in tqdm(items, desc="RGB baseline", disable=not progress):
        began = time.perf_counter()
        hits = baseline.retrieve(item.query, k=10)
        elapsed = (time.perf_counter() - began) * 1000
        ranked = list(dict.fromkeys(source_of[h.article_id] for h in hits))
        metrics = retrieval_metrics(ranked, [{files[p] for p in item.positive}])
        answer = hits[0].text if hits else ""
        rows.append({"id": item.id, "ms": elapsed, "correct": bool(answer) and rgb_correct(answer, item.answer), **metrics})
    mean = lambda key: sum(float(r[key]) for r in rows) / len(rows) if rows else 0.0  # noqa: E731
    return {
        "pieces": baseline.n_chunks, "build_s": build_s, "n": len(rows),
        **{name: mean(name) for name in ("recall@1", "recall@3", "recall@5", "recall@10", "mrr@10")},
        "accuracy": mean("correct"), "refusal_rate": 0.0,
        "p50_ms": percentile([r["ms"] for r in rows], 0.5), "p95_ms": percentile([r["ms"] for r in rows], 0.95),
    }


def run_rgb_suite(pipeline_for, rgb_path: Path, work_dir: Path, noises: list[float], limit: int, k: int, progress: bool, baseline: bool = False) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """RGB end to end (every distinct passage indexed) and RGB's reader protocol at each noise rate.

    pipeline_for(corpus_dir, index_dir) returns a Pipeline over that corpus (built if needed).
    """
    from app.answer.compose import compose
    from app.answer.corpus import LocalCorpus
    from app.answer.verify import checked
    from app.evaluation.rgb import load_rgb, passages_as_hits, run_end_to_end, run_reader, write_corpus

    everything = load_rgb(rgb_path)
    items = everything[:limit] if limit else everything
    files = write_corpus(everything, work_dir / "corpus")
    started = time.perf_counter()
    pipeline = pipeline_for(work_dir / "corpus", work_dir / "index")
    index_s = time.perf_counter() - started
    end_to_end = run_end_to_end(pipeline, items, files, k=k, progress=progress)

    def reader(question: str, passages: list[str]):  # type: ignore[no-untyped-def]
        return checked(compose(question, passages_as_hits(passages), LocalCorpus(passages), pipeline.similarity, model=pipeline.model))

    readers = {str(noise): run_reader(reader, items, noise, progress=progress) for noise in noises}
    result = {"items": len(items), "passages": len(files), "index_s": index_s, "end_to_end": end_to_end, "reader": readers}
    if baseline:
        result["baseline"] = run_baseline_rgb(items, files, pipeline.embedder, progress)
    return result
