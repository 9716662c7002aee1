"""The LangChain baseline for evaluation reports, and our retriever as a LangChain retriever.

LangChainBaseline is what a user would build in an afternoon: a recursive character splitter over
the cleaned article text, a FAISS store from langchain-community, the top passage as the answer.
It uses our model with the same prefixes, so a difference in the reports comes from chunking and
retrieval alone; like LangChain's stock HuggingFaceEmbeddings, it computes every vector with
sentence-transformers (no query cache, no light query encoder), so speed comparisons are fair.
"""

from __future__ import annotations

import functools
import logging
import time
import warnings
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from app.model.embed import Embedder
from app.schema import Article, Hit

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


@runtime_checkable
class HitSource(Protocol):
    """Anything that retrieves like Pipeline; stages must not import pipeline itself."""

    def retrieve(self, question: str, *, k: int | None = ..., mode: str = ...) -> list[Hit]: ...


def _import_faiss_store() -> tuple[Any, Any]:
    """(FAISS, DistanceStrategy), without langchain-community's import-time sunset warning."""
    with warnings.catch_warnings():
        # The package warns on import that it is no longer maintained; the baseline is meant to be
        # the stock recipe, so the warning is known and would only clutter every eval run and test.
        warnings.filterwarnings("ignore", message=".*langchain-community.*sunset", category=DeprecationWarning)
        from langchain_community.vectorstores import FAISS
        from langchain_community.vectorstores.utils import DistanceStrategy
    return FAISS, DistanceStrategy


@functools.cache
def _embeddings_class() -> type:
    from langchain_core.embeddings import Embeddings

    class BiaoganEmbeddings(Embeddings):
        """LangChain Embeddings over our model: same weights, same query/passage prefixes."""

        def __init__(self, embedder: Embedder) -> None:
            self.embedder = embedder

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.embedder.encode_passages(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            model = getattr(self.embedder, "model", None)
            if model is None:  # the hashing test double
                return self.embedder.encode_queries([text])[0].tolist()
            prompt = getattr(self.embedder, "query_prompt", "")
            return model.encode([prompt + text], normalize_embeddings=True, convert_to_numpy=True)[0].tolist()

    BiaoganEmbeddings.__module__, BiaoganEmbeddings.__qualname__ = __name__, "BiaoganEmbeddings"
    return BiaoganEmbeddings


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
        FAISS, DistanceStrategy = _import_faiss_store()
        # One batched encode_passages call, as in our index build (same model, same passage prefix);
        # fixed ids replace LangChain's random uuids so builds are reproducible.
        vectors = embedder.encode_passages(texts)
        ids = [f"{m['article_id']}:{i}" for i, m in enumerate(metadatas)]
        # Inner product over L2-normalised vectors is cosine similarity, the same score our dense
        # retriever uses. (DistanceStrategy.COSINE would silently build an L2 index in this version.)
        store = FAISS.from_embeddings(
            zip(texts, vectors.tolist()), _embeddings_class()(embedder), metadatas=metadatas, ids=ids,
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


@functools.cache
def _retriever_class() -> type:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    class BiaoganRetriever(BaseRetriever):
        """Our hybrid retriever as a LangChain retriever, for users who build chains."""

        pipeline: HitSource  # validated by isinstance: any object with .retrieve
        k: int = 5
        mode: str = "hybrid"

        def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
            hits = self.pipeline.retrieve(query, k=self.k, mode=self.mode)
            return [_document(Document, hit) for hit in hits]

    BiaoganRetriever.__module__, BiaoganRetriever.__qualname__ = __name__, "BiaoganRetriever"
    return BiaoganRetriever


def _document(document_cls: Any, hit: Hit) -> Any:
    chunk = hit.chunk
    metadata = {
        "chunk_id": chunk.id, "article_id": chunk.article_id, "article_title": chunk.article_title,
        "date": chunk.date, "section": chunk.section_title, "speaker": chunk.speaker,
        "position": chunk.position, "score": hit.score, "rank": hit.rank,
    }
    return document_cls(page_content=chunk.text, metadata=metadata, id=chunk.id)


def __getattr__(name: str) -> Any:
    # PEP 562: the LangChain subclasses are created on first use, so `import app.evaluation.baseline` stays
    # free of langchain; `from app.evaluation.baseline import BiaoganRetriever` works as usual.
    if name == "BiaoganRetriever":
        return _retriever_class()
    if name == "BiaoganEmbeddings":
        return _embeddings_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
