"""BM25 over pre-computed token lists, stored as flat numpy arrays and JSON."""

from __future__ import annotations

import json
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

K1 = 1.2
B = 0.75
COMMON_MIN_PASSAGES = 3


def is_common(df: int, n: int) -> bool:
    """In at least a quarter of the passages and at least three of them (so a handful is never 'common')."""
    return df >= COMMON_MIN_PASSAGES and df * 4 >= n


@dataclass(frozen=True)
class LexicalIndex:
    """Postings by term: docs of term t are doc_ids[term_ptr[t]:term_ptr[t+1]], with their counts."""

    vocab: dict[str, int]
    term_ptr: np.ndarray  # int64, len(vocab) + 1
    doc_ids: np.ndarray  # int32
    tfs: np.ndarray  # float32
    doc_len: np.ndarray  # float32, one per document

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> LexicalIndex:
        # One (term, doc, count) triple per distinct term of a document, kept in compact typed arrays
        # and sorted by term: a list of Python tuples per posting took ~100 bytes each (10 GB at 1M passages).
        vocab: dict[str, int] = {}
        terms, docs, counts = array("i"), array("i"), array("f")
        for doc, tokens in enumerate(token_lists):
            counted = Counter(tokens)
            terms.extend(vocab.setdefault(term, len(vocab)) for term in counted)
            docs.extend([doc] * len(counted))
            counts.extend(counted.values())
        term_ids = np.frombuffer(terms, dtype=np.int32)
        order = np.argsort(term_ids, kind="stable")  # postings of a term stay in document order
        sizes = np.bincount(term_ids, minlength=len(vocab)).astype(np.int64)
        term_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        doc_ids = np.frombuffer(docs, dtype=np.int32)[order]
        tfs = np.frombuffer(counts, dtype=np.float32)[order]
        doc_len = np.array([len(t) for t in token_lists], dtype=np.float32)
        return cls(vocab, term_ptr, doc_ids, tfs, doc_len)

    def df(self, term: str) -> int:
        tid = self.vocab.get(term)
        return 0 if tid is None else int(self.term_ptr[tid + 1] - self.term_ptr[tid])

    @property
    def n_docs(self) -> int:
        return int(self.doc_len.shape[0])

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every document for the query (repeated query terms count once)."""
        scores = np.zeros(self.n_docs, dtype=np.float32)
        if not self.n_docs:
            return scores
        avg = float(self.doc_len.mean()) or 1.0
        for term in dict.fromkeys(query_tokens):
            tid = self.vocab.get(term)
            if tid is None:
                continue
            lo, hi = self.term_ptr[tid], self.term_ptr[tid + 1]
            docs, tf = self.doc_ids[lo:hi], self.tfs[lo:hi]
            df = hi - lo
            idf = np.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))
            norm = K1 * (1.0 - B + B * self.doc_len[docs] / avg)
            scores[docs] += idf * tf * (K1 + 1.0) / (tf + norm)
        return scores

    def save(self, folder: Path) -> list[str]:
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        (folder / "lexical_vocab.json").write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
        np.savez(folder / "lexical.npz", term_ptr=self.term_ptr, doc_ids=self.doc_ids, tfs=self.tfs, doc_len=self.doc_len)
        return ["lexical_vocab.json", "lexical.npz"]

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        terms = json.loads((folder / "lexical_vocab.json").read_text(encoding="utf-8"))
        with np.load(folder / "lexical.npz", allow_pickle=False) as arrays:
            parts = {name: arrays[name] for name in ("term_ptr", "doc_ids", "tfs", "doc_len")}
        return cls(vocab={t: i for i, t in enumerate(terms)}, **parts)
