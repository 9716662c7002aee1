"""The LangChain baseline for evaluation reports (our encoder and retriever for LangChain users: app/integrations.py).

LangChainBaseline is what a user would build in an afternoon: a recursive character splitter over
the cleaned article text, a FAISS store from langchain-community, the top passage as the answer.
It uses our model with the same prefixes, so a difference in the reports comes from chunking and
retrieval alone; like LangChain's stock HuggingFaceEmbeddings, it computes every vector with
sentence-transformers (no query cache, no light query encoder), so speed comparisons are fair.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from typing import Any

from app.integrations import embeddings_class
from app.model.embed import Embedder
from app.schema import Article

log = logging.getLogger(__name__)

CHUNK_SIZE = 500
CHUNK_OVERLAP = 50


@dataclass(frozen=True)
class BaselineHit:
    rank: int  # 1-based
    text: str
    score: float  # cosine similarity: higher is better
    article_id: str
    start: int | None  # offset of text in Article.text when known


def import_faiss_store() -> tuple[Any, Any]:
    """(FAISS, DistanceStrategy), without langchain-community's import-time sunset warning."""
    with warnings.catch_warnings():
        # The package warns on import that it is no longer maintained; the baseline is meant to be
        # the stock recipe, so the warning is known and would only clutter every eval run and test.
        warnings.filterwarnings("ignore", message=".*langchain-community.*sunset", category=DeprecationWarning)
        from langchain_community.vectorstores import FAISS
        from langchain_community.vectorstores.utils import DistanceStrategy
    return FAISS, DistanceStrategy


def _verified_start(text: str, piece: str, start: int | None) -> int | None:
    # The splitter locates each piece with str.find from a guessed offset and reports -1 when the
    # guess overshoots; the evaluator matches by position, so only offsets that hold are kept.
    if start is not None and start >= 0 and text[start : start + len(piece)] == piece:
        return start
    return None


class LangChainBaseline:
    """Recursive character splitting + an in-memory LangChain FAISS store; the answer is the top passage."""

    def __init__(self, store: Any | None, n_chunks: int) -> None:
        self._store = store  # None when there was nothing to index: FAISS cannot hold zero vectors
        self._n_chunks = n_chunks

    @property
    def n_chunks(self) -> int:
        return self._n_chunks

    @classmethod
    def build(cls, articles: list[Article], embedder: Embedder) -> LangChainBaseline:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        started = time.perf_counter()
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
        texts: list[str] = []
        metadatas: list[dict[str, Any]] = []
        for article in articles:
            meta = {"article_id": article.id, "source": article.source, "title": article.title, "date": article.date}
            for doc in splitter.create_documents([article.text], [meta]):
                doc.metadata["start_index"] = _verified_start(article.text, doc.page_content, doc.metadata.get("start_index"))
                texts.append(doc.page_content)
                metadatas.append(doc.metadata)
        if not texts:
            log.info("built LangChain baseline: 0 pieces from %d articles", len(articles))
            return cls(None, 0)
        FAISS, DistanceStrategy = import_faiss_store()
        # One batched encode_passages call, as in our index build (same model, same passage prefix);
        # fixed ids replace LangChain's random uuids so builds are reproducible.
        vectors = embedder.encode_passages(texts)
        ids = [f"{m['article_id']}:{i}" for i, m in enumerate(metadatas)]
        # Inner product over L2-normalised vectors is cosine similarity, the same score our dense
        # retriever uses. (DistanceStrategy.COSINE would silently build an L2 index in this version.)
        store = FAISS.from_embeddings(
            zip(texts, vectors.tolist()), embeddings_class()(embedder), metadatas=metadatas, ids=ids,
            distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
        )
        log.info("built LangChain baseline: %d pieces from %d articles in %.1f s", len(texts), len(articles), time.perf_counter() - started)
        return cls(store, len(texts))

    def retrieve(self, question: str, k: int = 5) -> list[BaselineHit]:
        if self._store is None or k <= 0:
            return []
        pairs = self._store.similarity_search_with_score(question, k=k)
        return [
            BaselineHit(rank, doc.page_content, float(score), doc.metadata["article_id"], doc.metadata["start_index"])
            for rank, (doc, score) in enumerate(pairs, start=1)
        ]

    def answer(self, question: str) -> str:
        """The top passage's text, or "" when nothing is indexed."""
        hits = self.retrieve(question, k=1)
        return hits[0].text if hits else ""
