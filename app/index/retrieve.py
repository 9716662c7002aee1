"""Dense (FAISS), lexical (BM25 over jieba tokens) and fused retrieval; pure over arrays."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from app.index.bm25 import is_common
from app.index.folder import Index
from app.schema import Chunk, Filters, Hit
from app.text import expand_synonyms, lexical_tokens

MODES = ("dense", "lexical", "hybrid")
Ranking = list[tuple[int, float]]  # (row in the index, score), best first


def allowed_rows(index: Index, filters: Filters) -> np.ndarray | None:
    """Rows that pass the filters, or None when nothing is filtered (by a scan; see RowFilter)."""
    if not filters:
        return None
    return np.array([i for i, c in enumerate(index.chunks) if filters.accepts(c)], dtype=np.int64)


class RowFilter:
    """The rows allowed_rows finds, from row lists by article and date and by speaker built once, so a
    filtered question costs what the index holds in articles and people, not in passages."""

    def __init__(self, chunks: list[Chunk]) -> None:
        groups: dict[tuple[str, str], list[int]] = {}
        voices: dict[tuple[str, str], list[int]] = {}
        for row, chunk in enumerate(chunks):
            groups.setdefault((chunk.article_id, chunk.date or ""), []).append(row)
            for pair in {(chunk.speaker, chunk.position), *((v[2], v[3]) for v in chunk.voices)}:
                voices.setdefault(pair, []).append(row)
        self._groups = {key: np.asarray(rows, np.int64) for key, rows in groups.items()}
        self._voices = {key: np.asarray(rows, np.int64) for key, rows in voices.items()}

    def rows(self, filters: Filters) -> np.ndarray | None:
        if not filters:
            return None
        # Filters.accepts decides, asked once per group or person with a stand-in passage.
        place = replace(filters, speakers=())
        rows = [r for (aid, date), r in self._groups.items() if place.accepts(_Probe(aid, date or None))]
        allowed = np.sort(np.concatenate(rows)) if rows else np.zeros(0, np.int64)
        if filters.speakers:
            who = Filters(speakers=filters.speakers)
            said = [r for (name, position), r in self._voices.items() if who.accepts(_Probe("", None, name, position))]
            allowed = np.intersect1d(allowed, np.concatenate(said)) if said else np.zeros(0, np.int64)
        return allowed


@dataclass(frozen=True)
class _Probe:
    """What Filters.accepts reads of a passage."""

    article_id: str
    date: str | None
    speaker: str = ""
    position: str = ""
    voices: tuple = ()  # type: ignore[type-arg]


def _top(scores: np.ndarray, rows: np.ndarray, k: int) -> Ranking:
    if len(rows) == 0 or k <= 0:
        return []
    k = min(k, len(rows))
    part = np.argpartition(-scores, k - 1)[:k]
    order = part[np.argsort(-scores[part], kind="stable")]
    return [(int(rows[i]), float(scores[i])) for i in order]


def dense(index: Index, query_vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> Ranking:
    """Inner product over normalised vectors: FAISS for the whole index, exact numpy for a filtered subset."""
    query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
    if allowed is not None:
        return _top(index.embeddings[allowed] @ query[0], allowed, k)
    scores, rows = index.vectors.search(query, min(k, index.vectors.ntotal))
    return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]


def query_tokens(question: str) -> list[str]:
    """The question's jieba tokens, with the other names of known aliases (发改委 → 发展改革委)."""
    return lexical_tokens(expand_synonyms(question))


def lexical(index: Index, tokens: list[str], k: int, allowed: np.ndarray | None = None) -> Ranking:
    """BM25 over jieba tokens; passages sharing no term with the question are left out."""
    scores = index.lexical.scores(tokens)
    rows = np.arange(len(scores)) if allowed is None else allowed
    subset = scores[rows]
    keep = subset > 0
    return _top(subset[keep], rows[keep], k)


def evidential(dfs: list[int], n: int) -> bool:
    """Whether a question's terms give lexical evidence worth fusing: some term it shares with the
    passages is not common (BM25 alone, mode "lexical", still ranks by them). An English question
    shares only "2023" with a Chinese corpus; a ranking of the half of the passages holding it would
    push the dense ranking's answer out of the fused top k."""
    return any(df and not is_common(df, n) for df in dfs)


def rrf(rankings: list[Ranking], k: int = 60) -> Ranking:
    """Reciprocal rank fusion of several rankings."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (row, _) in enumerate(ranking):
            scores[row] = scores.get(row, 0.0) + 1.0 / (k + rank + 1)
    return sorted(scores.items(), key=lambda item: -item[1])


def weighted(rankings: list[Ranking], weights: list[float]) -> Ranking:
    """Convex combination of min-max normalised scores (a row missing from a ranking scores 0 there)."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        if not ranking:
            continue
        values = np.array([s for _, s in ranking])
        low, span = float(values.min()), float(values.max() - values.min()) or 1.0
        for row, score in ranking:
            scores[row] = scores.get(row, 0.0) + weight * (score - low) / span
    return sorted(scores.items(), key=lambda item: -item[1])


def search(
    index: Index,
    question: str,
    query_vector: np.ndarray | None,
    *,
    k: int = 5,
    mode: str = "hybrid",
    filters: Filters = Filters(),
    candidates: int = 50,
    fusion: str = "rrf",
    rrf_k: int = 60,
    row_filter: RowFilter | None = None,
) -> list[Hit]:
    """The top k passages for a question; query_vector is needed unless mode is 'lexical'."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    allowed = row_filter.rows(filters) if row_filter is not None else allowed_rows(index, filters)
    dense_ranking = dense(index, query_vector, max(k, candidates), allowed) if mode != "lexical" and query_vector is not None else []
    tokens = query_tokens(question)
    lexical_ranking = lexical(index, tokens, max(k, candidates), allowed) if mode != "dense" else []
    if mode == "hybrid" and dense_ranking and not evidential([index.lexical.df(t) for t in tokens], index.lexical.n_docs):
        lexical_ranking = []  # only common terms shared: nothing to fuse (see evidential)
    if mode == "dense":
        fused = dense_ranking
    elif mode == "lexical":
        fused = lexical_ranking
    elif fusion == "weighted":
        fused = weighted([dense_ranking, lexical_ranking], [0.5, 0.5])
    else:
        fused = rrf([dense_ranking, lexical_ranking], rrf_k)
    return _hits(index, fused[:k], dense_ranking, lexical_ranking)


def _hits(index: Index, fused: Ranking, dense_ranking: Ranking, lexical_ranking: Ranking) -> list[Hit]:
    dense_at = {row: (rank, score) for rank, (row, score) in enumerate(dense_ranking, start=1)}
    lexical_at = {row: (rank, score) for rank, (row, score) in enumerate(lexical_ranking, start=1)}
    hits = []
    for rank, (row, score) in enumerate(fused, start=1):
        d, lx = dense_at.get(row), lexical_at.get(row)
        hits.append(
            Hit(
                chunk=index.chunks[row],
                score=score,
                rank=rank,
                dense_rank=d[0] if d else None,
                dense_score=d[1] if d else None,
                lexical_rank=lx[0] if lx else None,
                lexical_score=lx[1] if lx else None,
            )
        )
    return hits

