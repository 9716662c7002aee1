"""The passage store the pipeline answers from, and its embedded backend (the FAISS index folder).

Two backends implement PassageStore: FaissStore (index/ folder: FAISS + our BM25 postings, loaded
whole into the process; the default, no server) and app.index.milvus_store.MilvusStore (a Milvus
collection, for archives that outgrow one machine). The answerer asks a store for passages and for
the few corpus statistics it needs (document frequency of a term, whether a text occurs anywhere,
an article's byline passage) instead of scanning passages itself.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from app.index.folder import Index, load_index
from app.schema import Chunk, Filters, Hit
from app.text import bigrams

log = logging.getLogger(__name__)


@runtime_checkable
class PassageStore(Protocol):
    """What answering needs from an index, whatever engine holds it."""

    manifest: dict[str, Any]
    articles: list[dict[str, Any]]

    @property
    def n_docs(self) -> int:
        """Passages in the store (the N of BM25's idf)."""
        ...

    @property
    def chunks(self) -> list[Chunk]:
        """Every passage. For evaluation and the chat page's lists only: never on a question's path."""
        ...

    def search(
        self, question: str, vector: np.ndarray | None, *, k: int, mode: str, filters: Filters,
        candidates: int, fusion: str, rrf_k: int,
    ) -> list[Hit]:
        """The top k passages: dense, lexical (BM25) or hybrid, within the filters."""
        ...

    def doc_freq(self, term: str) -> int:
        """Passages whose lexical tokens include the term (0 when the corpus never uses it)."""
        ...

    def known_terms(self, terms: list[str]) -> set[str]:
        """The terms that are in the lexical vocabulary."""
        ...

    def mentions(self, text: str) -> bool:
        """Whether any passage contains the text verbatim."""
        ...

    def byline_passage(self, article_id: str) -> Chunk | None:
        """The article's first passage whose text names its newspaper."""
        ...

    def article_text(self, article_id: str) -> str:
        """An article's passages joined in order."""
        ...

    def people(self) -> list[Chunk]:
        """One passage-shaped record per distinct (speaker, position, department, voices) of each
        article: what the entity lists (people, departments, posts) are built from."""
        ...

    def dates(self) -> set[str]:
        """The distinct dates of the indexed articles."""
        ...


class FaissStore:
    """The index folder (app.index.folder) behind the PassageStore interface; answers exactly as before."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.manifest = index.manifest
        self.articles = index.articles
        self._by_article: dict[str, list[Chunk]] | None = None
        self._row_filter: Any = None  # app.index.retrieve.RowFilter, built on the first filtered question
        self._mentions: dict[str, bool] = {}

    @property
    def folder(self) -> Any:
        """The build folder loaded (index/build-…/): its name tells one build from the next."""
        return self.index.folder

    # The arrays stay reachable for tools that work on them directly (bench, the LangChain baseline).
    @property
    def embeddings(self) -> np.ndarray:
        return self.index.embeddings

    @property
    def vectors(self) -> Any:
        return self.index.vectors

    @property
    def lexical(self) -> Any:
        return self.index.lexical

    @property
    def n_docs(self) -> int:
        return self.index.lexical.n_docs

    @property
    def chunks(self) -> list[Chunk]:
        return self.index.chunks

    def search(
        self, question: str, vector: np.ndarray | None, *, k: int, mode: str, filters: Filters,
        candidates: int, fusion: str, rrf_k: int,
    ) -> list[Hit]:
        from app.index.retrieve import RowFilter, search

        if filters and self._row_filter is None:
            self._row_filter = RowFilter(self.index.chunks)
        return search(self.index, question, vector, k=k, mode=mode, filters=filters, candidates=candidates,
                      fusion=fusion, rrf_k=rrf_k, row_filter=self._row_filter)

    def doc_freq(self, term: str) -> int:
        lexical = self.index.lexical
        tid = lexical.vocab.get(term)
        return 0 if tid is None else int(lexical.term_ptr[tid + 1] - lexical.term_ptr[tid])

    def known_terms(self, terms: list[str]) -> set[str]:
        vocab = self.index.lexical.vocab
        return {t for t in terms if t in vocab}

    def mentions(self, text: str) -> bool:
        if text not in self._mentions:
            if len(self._mentions) > 1024:
                self._mentions.clear()
            self._mentions[text] = any(text in self.index.chunks[row].text for row in self._may_mention(text))
        return self._mentions[text]

    def _may_mention(self, text: str) -> Any:
        """Rows whose passage can hold text verbatim: those holding every Chinese character pair of it,
        from the BM25 postings (each pair of a passage is indexed), so a look-up reads the rarest
        pairs' postings rather than every passage. Text without such a pair is looked for everywhere."""
        lexical = self.index.lexical
        postings = []
        for pair in set(bigrams(text)):
            tid = lexical.vocab.get(pair)
            if tid is None:
                return ()  # a pair no passage holds
            postings.append(lexical.doc_ids[lexical.term_ptr[tid] : lexical.term_ptr[tid + 1]])
        if not postings:
            return range(len(self.index.chunks))
        postings.sort(key=len)
        rows = postings[0]
        for other in postings[1:4]:  # the rarest few narrow it enough; the substring test decides
            rows = np.intersect1d(rows, other, assume_unique=True)
        return rows

    def _article_chunks(self, article_id: str) -> list[Chunk]:
        if self._by_article is None:
            self._by_article = {}
            for chunk in self.index.chunks:
                self._by_article.setdefault(chunk.article_id, []).append(chunk)
        return self._by_article.get(article_id, [])

    def byline_passage(self, article_id: str) -> Chunk | None:
        return next((c for c in self._article_chunks(article_id) if c.newspaper and c.newspaper in c.text), None)

    def article_text(self, article_id: str) -> str:
        return "\n".join(c.text for c in self._article_chunks(article_id))

    def people(self) -> list[Chunk]:
        return self.index.chunks

    def dates(self) -> set[str]:
        return {c.date for c in self.index.chunks if c.date}


def open_store(settings: Any, fingerprint: str | None) -> PassageStore:
    """The configured backend's live index (raises IndexMissing when there is none yet)."""
    if settings.store == "milvus":
        from app.index.milvus_store import open_milvus

        return open_milvus(settings, fingerprint)
    return FaissStore(load_index(Path(settings.index_dir), fingerprint))
