"""Evaluation: question sets with gold evidence, retrieval metrics (Recall@k, MRR@10, nDCG@10)."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import InputError
from app.schema import Chunk

RETRIEVAL_KINDS_EXCLUDED = ("unanswerable", "followup")
RECALL_AT = (1, 3, 5, 10)
RETRIEVAL_COLUMNS = [f"recall@{n}" for n in RECALL_AT] + ["hit@1", "hit@5", "mrr@10", "ndcg@10"]
# A passage holds a quote when it contains at least this share of it (quotes may straddle a boundary).
OVERLAP = 0.5


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    turns: tuple[str, ...]
    answer: str
    key_facts: tuple[Any, ...]
    evidence: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def question(self) -> str:
        return self.turns[-1]


def load_questions(path: Path) -> list[Question]:
    """Read a JSONL question set; a malformed line is an error naming the line."""
    if not path.exists():
        raise InputError(f"question set not found: {path}", "pass --dataset PATH")
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            turns = tuple(row["turns"]) if "turns" in row else (row["question"],)
            known = {"id", "kind", "question", "turns", "answer", "key_facts", "evidence"}
            questions.append(
                Question(row["id"], row["kind"], turns, row.get("answer", ""), tuple(row.get("key_facts", [])),
                         tuple(row.get("evidence", [])), {k: v for k, v in row.items() if k not in known})
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number} is not a valid question ({exc})", "see eval/README.md for the fields") from exc
    return questions


class EvidenceLocator:
    """Finds which passages of an index hold an evidence quote, by position in the article."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.by_article: dict[str, list[Chunk]] = {}
        for chunk in chunks:
            self.by_article.setdefault(chunk.article_id, []).append(chunk)
        self.texts = {aid: _reassemble(cs) for aid, cs in self.by_article.items()}

    def relevant(self, quote: str) -> set[str]:
        """Ids of passages that contain the quote, or at least OVERLAP of it."""
        found: set[str] = set()
        for article_id, text in self.texts.items():
            start = text.find(quote)
            while start >= 0:
                end = start + len(quote)
                for chunk in self.by_article[article_id]:
                    overlap = min(end, chunk.end) - max(start, chunk.start)
                    if overlap >= OVERLAP * len(quote) or (overlap > 0 and chunk.start >= start and chunk.end <= end):
                        found.add(chunk.id)
                start = text.find(quote, start + 1)
        return found


def _reassemble(chunks: list[Chunk]) -> str:
    buffer = [" "] * max(c.end for c in chunks)
    for chunk in chunks:
        buffer[chunk.start : chunk.end] = chunk.text
    return "".join(buffer)


def retrieval_metrics(ranked: list[str], evidence_sets: list[set[str]], k: int = 10) -> dict[str, float]:
    """Recall@k (share of evidence quotes found), MRR@10 and nDCG@10 over binary relevance."""
    relevant = set().union(*evidence_sets) if evidence_sets else set()
    metrics = {f"recall@{n}": sum(bool(e & set(ranked[:n])) for e in evidence_sets) / len(evidence_sets) for n in RECALL_AT}
    # hit@k: at least one evidence quote found (the whole of recall for single-quote questions).
    metrics.update({f"hit@{n}": float(bool(relevant & set(ranked[:n]))) for n in (1, 5)})
    first = next((i for i, cid in enumerate(ranked[:10], start=1) if cid in relevant), None)
    metrics["mrr@10"] = 1.0 / first if first else 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, cid in enumerate(ranked[:10], start=1) if cid in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), 10) + 1))
    metrics["ndcg@10"] = dcg / ideal if ideal else 0.0
    return metrics


def run_retrieval(pipeline, questions: list[Question], mode: str, k: int = 10) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Mean retrieval metrics of one mode over the answerable single-turn questions."""
    locator = EvidenceLocator(pipeline.index.chunks)
    pipeline.embedder.clear_cache()  # each mode pays for its own query encoding
    rows = []
    for q in questions:
        if q.kind in RETRIEVAL_KINDS_EXCLUDED or not q.evidence:
            continue
        evidence_sets = [locator.relevant(e) for e in q.evidence]
        started = time.perf_counter()
        hits = pipeline.retrieve(q.question, k=max(k, 10), mode=mode)
        elapsed = (time.perf_counter() - started) * 1000
        ranked = [h.chunk.id for h in hits]
        rows.append({"id": q.id, "kind": q.kind, "ms": elapsed, "ranked": ranked, **retrieval_metrics(ranked, evidence_sets)})
    summary: dict[str, Any] = {"mode": mode, "n": len(rows), "rows": rows}
    for name in [f"recall@{n}" for n in RECALL_AT] + ["hit@1", "hit@5", "mrr@10", "ndcg@10"]:
        summary[name] = sum(r[name] for r in rows) / len(rows) if rows else 0.0
    summary["p50_ms"] = percentile([r["ms"] for r in rows], 0.5)
    return summary


def format_table(results: dict[str, dict[str, Any]]) -> str:
    columns = [f"recall@{n}" for n in RECALL_AT] + ["hit@1", "hit@5", "mrr@10", "ndcg@10", "p50_ms"]
    lines = ["| mode | n | " + " | ".join(columns) + " |", "|" + "---|" * (len(columns) + 2)]
    for mode, summary in results.items():
        values = " | ".join(f"{summary[c]:.3f}" if c != "p50_ms" else f"{summary[c]:.1f}" for c in columns)
        lines.append(f"| {mode} | {summary['n']} | {values} |")
    return "\n".join(lines)


def percentile(values: list[float], q: float) -> float:
    """The value below which a share q of the values fall (nearest rank); 0.0 for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def fact_present(fact: Any, text: str) -> bool:
    """A key fact (or one of its alternatives) occurs in the answer text, whitespace ignored on both sides."""
    options = fact if isinstance(fact, (list, tuple)) else [fact]
    squashed = "".join(text.split())
    return any("".join(option.split()) in squashed for option in options)


def answer_row(pipeline, q: Question, locator: EvidenceLocator, k: int = 5) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Ask one question (with its earlier turns) and score the answer."""
    from app.answer.followup import Turn
    from app.answer.verify import problems

    history: list[Turn] = []
    for turn in q.turns[:-1]:
        earlier = pipeline.ask(turn, history=history, k=k)
        history.append(Turn.of(earlier))
    started = time.perf_counter()
    answer = pipeline.ask(q.question, history=history, k=k)
    elapsed = (time.perf_counter() - started) * 1000
    relevant = set().union(*(locator.relevant(e) for e in q.evidence)) if q.evidence else set()
    cited = [c.chunk.id for c in answer.citations]
    row: dict[str, Any] = {
        "id": q.id, "kind": q.kind, "question": q.question, "resolved": answer.resolved_question,
        "answer": answer.text, "refused": answer.refused, "ms": elapsed,
        "citations": [{"n": c.n, "chunk_id": c.chunk.id, "quote": c.quote} for c in answer.citations],
        "retrieved": [h.chunk.id for h in answer.hits], "problems": problems(answer),
        "answerable": q.kind != "unanswerable",
    }
    row["citations_valid"] = not row["problems"]
    if row["answerable"]:
        row["correct"] = not answer.refused and all(fact_present(f, answer.text) for f in q.key_facts)
        row["cited_relevant"] = sum(c in relevant for c in cited) / len(cited) if cited and not answer.refused else None
    return row


def summarise_answers(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Key-fact accuracy, citation validity and precision, refusal precision and recall, by kind."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    refused = [r for r in rows if r["refused"]]
    precisions = [r["cited_relevant"] for r in answerable if r.get("cited_relevant") is not None]
    latencies = [r["ms"] for r in rows]
    by_kind: dict[str, float] = {}
    for kind in sorted({r["kind"] for r in rows}):
        mine = [r for r in rows if r["kind"] == kind]
        by_kind[kind] = sum((r["correct"] if r["answerable"] else r["refused"]) for r in mine) / len(mine)
    return {
        "n": len(rows),
        "accuracy": sum(r["correct"] for r in answerable) / len(answerable) if answerable else 0.0,
        "citation_validity": sum(r["citations_valid"] for r in rows) / len(rows) if rows else 0.0,
        "citation_precision": sum(precisions) / len(precisions) if precisions else 0.0,
        "refusal_recall": sum(r["refused"] for r in unanswerable) / len(unanswerable) if unanswerable else 0.0,
        "refusal_precision": sum(not r["answerable"] for r in refused) / len(refused) if refused else 0.0,
        "false_refusals": sum(r["refused"] for r in answerable) / len(answerable) if answerable else 0.0,
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
        "by_kind": by_kind,
    }
