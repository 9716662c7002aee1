"""biaogan inside LangChain: our encoder as LangChain Embeddings (same weights, same query and passage
prefixes) and our hybrid retriever as a LangChain retriever, for users who build their own chains.

    from app.integrations import BiaoganRetriever
    retriever = BiaoganRetriever(pipeline=load_pipeline(Settings()), k=5)
    docs = retriever.invoke("商务局今年的外贸目标是多少？")

The classes are made on first use, so importing this module does not import LangChain.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol, runtime_checkable

from app.model.embed import Embedder
from app.schema import Hit


@runtime_checkable
class HitSource(Protocol):
    """Anything that retrieves like Pipeline; stages must not import pipeline itself."""

    def retrieve(self, question: str, *, k: int | None = ..., mode: str = ...) -> list[Hit]: ...


@functools.cache
def embeddings_class() -> type:
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


@functools.cache
def retriever_class() -> type:
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
    # PEP 562: the LangChain subclasses are created on first use, so `import app.integrations` stays
    # free of langchain; `from app.integrations import BiaoganRetriever` works as usual.
    if name == "BiaoganRetriever":
        return retriever_class()
    if name == "BiaoganEmbeddings":
        return embeddings_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
