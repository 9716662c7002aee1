"""The Milvus backend of PassageStore: every question is answered by queries to Milvus, never by
scanning passages in this process."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import numpy as np

from app.errors import IndexFormatChanged, IndexMissing, IndexOutdated
from app.index.milvus_common import (
    FORMAT_VERSION,
    alias_name,
    chunks_of,
    connect,
    filter_expr,
    is_lite,
    like_literal,
    live_collection,
    milvus_uri,
    quoted,
    term_id,
)
from app.index.retrieve import MODES, Ranking, evidential, weighted
from app.schema import Chunk, Filters, Hit
from app.text import add_words, expand_synonyms, lexical_tokens

log = logging.getLogger(__name__)

K1, B = 1.2, 0.75  # as app.index.bm25
_CHUNK = ["chunk"]
_QUERY_MAX = 16_384  # Milvus's largest query window


def read_meta(client: Any, meta: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Meta rows by key (absent keys are left out)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        expr = f"key in [{', '.join(quoted(k) for k in batch)}]"
        for row in client.query(meta, filter=expr, output_fields=["key", "num", "body"]):
            found[row["key"]] = row
    return found


def read_kind(client: Any, meta: str, kind: str) -> list[dict[str, Any]]:
    """Every meta row of a kind (articles), through Milvus's query iterator."""
    rows: list[dict[str, Any]] = []
    iterator = client.query_iterator(meta, batch_size=1000, filter=f"kind == {quoted(kind)}", output_fields=["key", "num", "body"])
    while batch := iterator.next():
        rows.extend(batch)
    iterator.close()
    return rows


def bm25_weights(tokens: list[str], avgdl: float) -> dict[int, float]:
    """A passage's sparse vector: BM25's term-frequency part per term; the query side carries idf."""
    weights: dict[int, float] = {}
    counts: dict[str, int] = {}
    for token in tokens:
        counts[token] = counts.get(token, 0) + 1
    norm = K1 * (1.0 - B + B * len(tokens) / (avgdl or 1.0))
    for term, tf in counts.items():
        tid = term_id(term)
        weights[tid] = weights.get(tid, 0.0) + tf * (K1 + 1.0) / (tf + norm)
    return weights


class MilvusStore:
    """One index version in Milvus: its passages collection and its meta collection."""

    def __init__(self, client: Any, collection: str, manifest: dict[str, Any], articles: list[dict[str, Any]]) -> None:
        self.client = client
        self.collection = collection
        self.meta = f"{collection}_meta"
        self.manifest = manifest
        self.articles = articles
        self.lexical_mode = manifest.get("lexical", "client")
        self._df: dict[str, int] = {}
        self._mentions: dict[str, bool] = {}
        self._chunks: list[Chunk] | None = None

    @property
    def n_docs(self) -> int:
        return int(self.manifest["counts"]["chunks"])

    @property
    def chunks(self) -> list[Chunk]:
        # A full read of the collection: for evaluation and the chat page's lists, never per question.
        if self._chunks is None:
            rows: list[dict[str, Any]] = []
            iterator = self.client.query_iterator(self.collection, batch_size=1000, filter='id != ""', output_fields=_CHUNK)
            while batch := iterator.next():
                rows.extend(batch)
            iterator.close()
            order = {a["id"]: n for n, a in enumerate(self.articles)}
            self._chunks = sorted(chunks_of(rows), key=lambda c: (order.get(c.article_id, len(order)), c.ordinal))
        return self._chunks

    def _prefetch(self, terms: list[str]) -> None:
        missing = [t for t in dict.fromkeys(terms) if t not in self._df]
        if not missing:
            return
        if len(self._df) > 100_000:
            self._df.clear()
        found = read_meta(self.client, self.meta, [f"t:{t}" for t in missing])
        for term in missing:
            row = found.get(f"t:{term}")
            self._df[term] = int(row["num"]) if row else 0

    def doc_freq(self, term: str) -> int:
        self._prefetch([term])
        return self._df[term]

    def known_terms(self, terms: list[str]) -> set[str]:
        self._prefetch(terms)
        return {t for t in terms if self._df[t] > 0}

    def mentions(self, text: str) -> bool:
        if text not in self._mentions:
            if len(self._mentions) > 1024:
                self._mentions.clear()
            rows = self.client.query(self.collection, filter=f"text like {like_literal(text)}", output_fields=["id"], limit=1)
            self._mentions[text] = bool(rows)
        return self._mentions[text]

    def _article_chunks(self, expr: str) -> list[Chunk]:
        rows = self.client.query(self.collection, filter=expr, output_fields=_CHUNK, limit=_QUERY_MAX)
        return sorted(chunks_of(rows), key=lambda c: c.ordinal)

    def byline_passage(self, article_id: str) -> Chunk | None:
        chunks = self._article_chunks(f'article_id == {quoted(article_id)} and newspaper != ""')
        return next((c for c in chunks if c.newspaper in c.text), None)

    def article_text(self, article_id: str) -> str:
        return "\n".join(c.text for c in self._article_chunks(f"article_id == {quoted(article_id)}"))

    def people(self) -> list[Chunk]:
        return [Chunk.from_dict(row) for a in self.articles for row in a.get("voices_summary", [])]

    def dates(self) -> set[str]:
        return {a["date"] for a in self.articles if a.get("date")}

    def _query_sparse(self, question: str, fusing: bool = False) -> dict[int, float] | str:
        """The lexical query: Milvus analyses the text itself (native), or our tokens weighted by idf;
        nothing to fuse when the question shares only common terms (app.index.retrieve.evidential)."""
        if self.lexical_mode == "native":
            return expand_synonyms(question)
        tokens = list(dict.fromkeys(lexical_tokens(expand_synonyms(question))))
        self._prefetch(tokens)
        n = self.n_docs
        if fusing and not evidential([self._df[t] for t in tokens], n):
            return {}
        vector: dict[int, float] = {}
        for term in tokens:
            df = self._df[term]
            if df:
                tid = term_id(term)
                vector[tid] = vector.get(tid, 0.0) + math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        return vector

    def _ranked(self, field: str, data: Any, limit: int, expr: str) -> Ranking:
        metric = "IP" if field == "dense" or self.lexical_mode == "client" else "BM25"
        found = self.client.search(self.collection, data=[data], anns_field=field, limit=limit, filter=expr,
                                   search_params={"metric_type": metric}, output_fields=_CHUNK)
        ranking = [(row["entity"]["chunk"], float(row["distance"])) for row in found[0]]
        return [(c, s) for c, s in ranking if field == "dense" or s > 0]  # type: ignore[misc]

    def search(
        self, question: str, vector: np.ndarray | None, *, k: int, mode: str, filters: Filters,
        candidates: int, fusion: str, rrf_k: int,
    ) -> list[Hit]:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        expr, limit = filter_expr(filters), max(k, candidates)
        dense_q = [float(x) for x in vector] if vector is not None and mode != "lexical" else None
        sparse = self._query_sparse(question, fusing=mode == "hybrid" and dense_q is not None) if mode != "dense" else {}
        if mode == "hybrid" and fusion == "rrf" and dense_q is not None and sparse:
            return self._hybrid(dense_q, sparse, k, limit, expr, rrf_k)
        dense_r = self._ranked("dense", dense_q, limit, expr) if dense_q is not None else []
        lexical_r = self._ranked("lex", sparse, limit, expr) if sparse else []
        if mode == "dense" or not lexical_r:
            fused = dense_r
        elif mode == "lexical" or not dense_r:
            fused = lexical_r
        else:
            fused = weighted([dense_r, lexical_r], [0.5, 0.5])  # type: ignore[list-item]
        return self._hits(fused[:k], dense_r, lexical_r)

    def _hybrid(self, dense_q: list[float], sparse: Any, k: int, limit: int, expr: str, rrf_k: int) -> list[Hit]:
        """Dense and BM25 fused by reciprocal rank in Milvus, in one request."""
        from pymilvus import AnnSearchRequest, RRFRanker

        metric = "IP" if self.lexical_mode == "client" else "BM25"
        requests = [
            AnnSearchRequest(data=[dense_q], anns_field="dense", param={"metric_type": "IP"}, limit=limit, expr=expr or None),
            AnnSearchRequest(data=[sparse], anns_field="lex", param={"metric_type": metric}, limit=limit, expr=expr or None),
        ]
        found = self.client.hybrid_search(self.collection, reqs=requests, ranker=RRFRanker(rrf_k), limit=k, output_fields=_CHUNK)
        return self._hits([(row["entity"]["chunk"], float(row["distance"])) for row in found[0]], [], [])  # type: ignore[misc]

    @staticmethod
    def _hits(fused: Any, dense_r: Any, lexical_r: Any) -> list[Hit]:
        def key(raw: str) -> str:
            return json.loads(raw)["id"]

        dense_at = {key(c): (r, s) for r, (c, s) in enumerate(dense_r, start=1)}
        lexical_at = {key(c): (r, s) for r, (c, s) in enumerate(lexical_r, start=1)}
        hits = []
        for rank, (raw, score) in enumerate(fused, start=1):
            chunk = chunks_of([{"chunk": raw}])[0]
            d, lx = dense_at.get(chunk.id), lexical_at.get(chunk.id)
            hits.append(Hit(chunk=chunk, score=score, rank=rank, dense_rank=d[0] if d else None, dense_score=d[1] if d else None,
                            lexical_rank=lx[0] if lx else None, lexical_score=lx[1] if lx else None))
        return hits


def open_milvus(settings: Any, fingerprint: str | None) -> MilvusStore:
    """The live index version in Milvus, checked against the configured model."""
    client = connect(settings)
    uri, alias = milvus_uri(settings), alias_name(settings)
    collection = live_collection(client, alias, is_lite(uri))
    if collection is None or not client.has_collection(collection):
        raise IndexMissing(f"no index in Milvus under {alias}")
    manifest = json.loads(read_meta(client, f"{collection}_meta", ["manifest"])["manifest"]["body"])
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFormatChanged(f"the Milvus index {collection} has format {manifest.get('format_version')}, this version reads {FORMAT_VERSION}")
    if fingerprint is not None and manifest.get("model") != fingerprint:
        raise IndexOutdated(f"the Milvus index {collection} was built with model {manifest.get('model')}, but {fingerprint} is configured")
    articles = [json.loads(row["body"]) for row in read_kind(client, f"{collection}_meta", "article")]
    articles.sort(key=lambda a: a["source"])  # the order the seeds folder lists them, as in the FAISS index
    add_words(sorted({c["speaker"] for a in articles for c in a.get("voices_summary", []) if c.get("speaker")}))
    log.info("milvus: %s (%d passages, %d articles)", collection, int(manifest["counts"]["chunks"]), len(articles))
    return MilvusStore(client, collection, manifest, articles)
