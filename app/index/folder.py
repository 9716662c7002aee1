"""The index folder and how it is read: FAISS + BM25 + passages + manifest, checked against its checksums.

Layout: index/CURRENT names the live build folder (index/build-…/); a new build is written to a
fresh folder and CURRENT is replaced in one rename, so a killed build never harms the live index
(app/index/writer.py writes it).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from app.errors import IndexCorrupt, IndexFormatChanged, IndexMissing, IndexOutdated
from app.index.bm25 import LexicalIndex
from app.ingest.passages import split_sections
from app.ingest.read import Skipped
from app.ingest.speakers import find_people
from app.schema import Article, Chunk
from app.text import add_words, name_pinyin

log = logging.getLogger(__name__)

# Raised (with app.index.milvus_common.FORMAT_VERSION) when what is stored for a passage changes, so that indexes built before are rebuilt:
# 4 keeps organisation names joined by 和 (工业和信息化局) whole in speakers' positions; 5 gives a
# quotation the speaker named right after it ("“…”朱刚说。"); 6 names a speaker's unit by every
# organisation suffix of app.text (会展处 of 商务局会展处处长); 7 gives that speaker a quotation opening
# after a lead-in or a heading run into the line ("房产中介：…“…。”常国涛说"); 8 finds a speaker whose
# verb follows a phrase or a joined clause ("…在开幕式上致辞说", "感慨地说", "…，并表示"); 9 takes no
# word the dictionary knows as something else for a name ("代表全国…党员" names no 全国).
FORMAT_VERSION = 9
HNSW_EF_SEARCH = 96


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    folder: str = ""


@dataclass
class Index:
    folder: Path
    manifest: dict[str, Any]
    chunks: list[Chunk]
    embeddings: np.ndarray
    vectors: Any  # faiss.Index
    lexical: LexicalIndex
    articles: list[dict[str, Any]]
    tokens: list[list[str]] = field(default_factory=list)


def lexical_text(chunk: Chunk) -> str:
    """What BM25 sees: the passage, its header, and the speaker's name in pinyin for English questions.

    Place names are not transliterated: "Zhengzhou" would then match nearly every passage and
    drown the dense ranking of English questions (measured: English Recall@1 0.58 -> 0.33).
    """
    return f"{chunk.header} {name_pinyin(chunk.speaker)}\n{chunk.text}"


def embedding_text(chunk: Chunk) -> str:
    """What the encoder sees: the header gives a passage its speaker and topic."""
    return f"{chunk.header}\n{chunk.text}"


def current_folder(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return index_dir / name if name else None


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def article_record(article: Article, n_chunks: int) -> dict[str, Any]:
    """What the index keeps of an article: metadata, sections, the people it introduces with their
    positions (for questions about posts), and the audit log of repairs."""
    record = asdict(article)
    record.pop("text")
    people = find_people(article.text)
    record["sections"] = [asdict(s) for s in split_sections(article, people)]
    record["people"] = [[p.name, p.position] for p in people.values()]
    record["chunks"] = n_chunks
    return record


def load_index(index_dir: Path, fingerprint: str | None = None, *, verify: bool = True, with_tokens: bool = False) -> Index:
    """Load the live build; check its format, files and model against what the caller uses."""
    folder = current_folder(index_dir)
    if folder is None or not (folder / "manifest.json").exists():
        raise IndexMissing(f"no index in {index_dir}")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexCorrupt(f"the index manifest in {folder} is unreadable ({exc})") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFormatChanged(f"the index in {index_dir} has format {manifest.get('format_version')}, this version reads {FORMAT_VERSION}")
    if fingerprint is not None and manifest.get("model") != fingerprint:
        raise IndexOutdated(f"the index in {index_dir} was built with model {manifest.get('model')}, but {fingerprint} is configured")
    if verify:
        _verify_files(folder, manifest)
    try:
        return _read_data(folder, manifest, with_tokens)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorrupt(f"cannot read the index in {folder} ({exc})") from exc


def _verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    for name, digest in manifest.get("files", {}).items():
        path = folder / name
        if not path.exists():
            raise IndexCorrupt(f"index file {path} is missing")
        if sha256(path) != digest:
            raise IndexCorrupt(f"index file {path} does not match its checksum (truncated or modified)")


def _read_data(folder: Path, manifest: dict[str, Any], with_tokens: bool) -> Index:
    import faiss

    chunks = [Chunk.from_dict(row) for row in _read_jsonl(folder / "chunks.jsonl")]
    embeddings = np.load(folder / "embeddings.npy", allow_pickle=False)
    vectors = faiss.read_index(str(folder / "vectors.faiss"))
    if not (len(chunks) == embeddings.shape[0] == vectors.ntotal == manifest["counts"]["chunks"]):
        raise ValueError("passage, vector and manifest counts disagree")
    if hasattr(vectors, "hnsw"):
        vectors.hnsw.efSearch = HNSW_EF_SEARCH
    articles = list(_read_jsonl(folder / "articles.jsonl"))
    add_words(sorted({c.speaker for c in chunks}))  # tokenise questions as the passages were
    # Token lists are only needed to update the index, not to answer questions.
    tokens = list(_read_jsonl(folder / "tokens.jsonl")) if with_tokens else []
    return Index(folder, manifest, chunks, embeddings, vectors, LexicalIndex.load(folder), articles, tokens)


def _read_jsonl(path: Path) -> Iterator[Any]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
