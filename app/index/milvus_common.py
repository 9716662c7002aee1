"""Milvus plumbing shared by the reader (milvus_store) and the writer (milvus_build): connection,
schemas, the alias that names the live collection, filter expressions and term ids.

Each index version is a pair of collections: `<alias>_<stamp>` holds the passages (dense vector,
BM25 sparse vector, filter fields, the passage as JSON) and `<alias>_<stamp>_meta` holds the
manifest, one row per article and one row per lexical term with its document frequency. The alias
names the live passages collection; a rebuild writes a new pair and then moves the alias.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

from app.errors import BiaoganError
from app.schema import Filters

log = logging.getLogger(__name__)

FORMAT_VERSION = 7  # raised with app.index.folder.FORMAT_VERSION when what is stored for a passage changes
MAX_TEXT = 16_384  # passages are ~300 characters; the JSON of one is a few KB
MAX_BODY = 65_535
HNSW_M = 32
# milvus-lite has no aliases (the RPC is unimplemented): the live collection is recorded here instead.
REGISTRY = "biaogan_aliases"


class MilvusUnavailable(BiaoganError):
    """Milvus cannot be reached or used."""


def _pymilvus() -> Any:
    try:
        import pymilvus
    except ImportError as exc:
        raise MilvusUnavailable(
            "BIAOGAN_STORE=milvus needs the pymilvus package, which is not installed", "pip install 'biaogan[milvus]'"
        ) from exc
    return pymilvus


def milvus_uri(settings: Any) -> str:
    return settings.milvus_uri or str(Path(settings.index_dir) / "milvus.db")


def is_lite(uri: str) -> bool:
    """A file path means embedded milvus-lite; a URL means a Milvus server or cluster."""
    return not re.match(r"^(https?|tcp|grpc)://", uri)


def _shown(uri: str) -> str:
    return re.sub(r"//[^/@]*@", "//", uri)  # never print credentials embedded in a URL


def connect(settings: Any) -> Any:
    """A MilvusClient for the configured URI (embedded milvus-lite for a file path)."""
    pymilvus = _pymilvus()
    uri = milvus_uri(settings)
    if is_lite(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        # milvus-lite cannot report its MVCC timestamp, so pymilvus's query iterator warns on every
        # use and reads at a client-side timestamp instead, which sees everything written before it.
        logging.getLogger("pymilvus.orm.iterator").setLevel(logging.ERROR)
    try:
        return pymilvus.MilvusClient(uri=uri, token=settings.milvus_token.get_secret_value())
    except Exception as exc:  # pymilvus raises several kinds for a refused or failed connection
        hint = (
            "milvus-lite lets one process at a time open its file: stop the other biaogan process (serve, index), "
            "or run a Milvus server and set BIAOGAN_MILVUS_URI=http://host:19530 (docs/scaling.md)"
            if is_lite(uri) else "start Milvus (or check BIAOGAN_MILVUS_URI and BIAOGAN_MILVUS_TOKEN), or set BIAOGAN_STORE=faiss"
        )
        raise MilvusUnavailable(f"cannot open Milvus at {_shown(uri)} ({type(exc).__name__}: {str(exc)[:200]})", hint) from exc


def alias_name(settings: Any) -> str:
    """The alias of this index folder's live collection, e.g. biaogan_index."""
    folder = re.sub(r"[^A-Za-z0-9_]", "_", Path(settings.index_dir).name) or "index"
    return f"{settings.milvus_collection}_{folder}"


def live_collection(client: Any, alias: str, lite: bool) -> str | None:
    """The collection the alias points at, or None before the first build."""
    if lite:
        if not client.has_collection(REGISTRY):
            return None
        rows = client.query(REGISTRY, filter=f"key == {quoted(alias)}", output_fields=["body"])
        return rows[0]["body"] if rows else None
    try:
        return client.describe_alias(alias)["collection_name"]
    except Exception:  # pymilvus raises when the alias does not exist
        return None


def point_alias(client: Any, alias: str, collection: str, lite: bool) -> None:
    """Make the alias name the collection, in one step readers never see half done."""
    if lite:
        if not client.has_collection(REGISTRY):
            create_meta(client, REGISTRY)
        client.upsert(REGISTRY, [meta_row(alias, "alias", 0, collection)])
    elif live_collection(client, alias, lite) is None:
        client.create_alias(collection, alias)
    else:
        client.alter_alias(collection, alias)


def passages_schema(client: Any, dim: int, lexical: str) -> tuple[Any, Any]:
    """Schema and index parameters of a passages collection."""
    pymilvus = _pymilvus()
    dt = pymilvus.DataType
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", dt.VARCHAR, is_primary=True, max_length=256)
    schema.add_field("article_id", dt.VARCHAR, max_length=256)
    schema.add_field("ordinal", dt.INT64)
    schema.add_field("date", dt.VARCHAR, max_length=16)
    schema.add_field("names", dt.VARCHAR, max_length=2048)  # |name|name| of the speaker and voices
    schema.add_field("positions", dt.VARCHAR, max_length=4096)
    schema.add_field("newspaper", dt.VARCHAR, max_length=256)
    schema.add_field("text", dt.VARCHAR, max_length=MAX_TEXT)  # the passage, for verbatim look-ups (LIKE)
    # What Milvus's own BM25 analyses (header, pinyin name, passage); empty with client-side BM25.
    native = lexical == "native"
    schema.add_field("lextext", dt.VARCHAR, max_length=MAX_TEXT, enable_analyzer=native, **({"analyzer_params": {"tokenizer": "jieba"}} if native else {}))
    schema.add_field("terms", dt.VARCHAR, max_length=MAX_BODY)  # distinct lexical tokens, to keep document frequencies on delete
    schema.add_field("chunk", dt.VARCHAR, max_length=MAX_BODY)
    schema.add_field("lex", dt.SPARSE_FLOAT_VECTOR)
    schema.add_field("dense", dt.FLOAT_VECTOR, dim=dim)
    params = client.prepare_index_params()
    params.add_index("lex", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25" if lexical == "native" else "IP")
    params.add_index("article_id", index_type="INVERTED")
    if lexical == "native":
        schema.add_function(pymilvus.Function(
            name="bm25", function_type=pymilvus.FunctionType.BM25, input_field_names=["lextext"], output_field_names=["lex"]
        ))
    return schema, params


def dense_index(params: Any, lite: bool) -> None:
    # milvus-lite only has FLAT/IVF_FLAT (exact FLAT here); a server gets HNSW, as FAISS does above 50k.
    if lite:
        params.add_index("dense", index_type="FLAT", metric_type="IP")
    else:
        params.add_index("dense", index_type="HNSW", metric_type="IP", params={"M": HNSW_M, "efConstruction": 80})


def create_passages(client: Any, name: str, dim: int, lexical: str, lite: bool) -> None:
    schema, params = passages_schema(client, dim, lexical)
    dense_index(params, lite)
    client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")


def create_meta(client: Any, name: str) -> None:
    """Key/value rows: the manifest, articles ("a:<source>") and terms ("t:<term>", num = df)."""
    dt = _pymilvus().DataType
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("key", dt.VARCHAR, is_primary=True, max_length=1024)
    schema.add_field("kind", dt.VARCHAR, max_length=16)
    schema.add_field("num", dt.INT64)
    schema.add_field("body", dt.VARCHAR, max_length=MAX_BODY)
    schema.add_field("v", dt.FLOAT_VECTOR, dim=2)  # Milvus requires a vector field; unused
    params = client.prepare_index_params()
    params.add_index("v", index_type="FLAT", metric_type="L2")
    params.add_index("kind", index_type="INVERTED")
    client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")


def meta_row(key: str, kind: str, num: int, body: str) -> dict[str, Any]:
    return {"key": key, "kind": kind, "num": num, "body": body, "v": [0.0, 0.0]}


def quoted(value: str) -> str:
    """A string literal for a Milvus filter expression."""
    return json.dumps(value, ensure_ascii=False)


def like_literal(text: str) -> str:
    """A LIKE pattern matching text anywhere, with LIKE's own wildcards escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return quoted(f"%{escaped}%")


def filter_expr(filters: Filters) -> str:
    """The Milvus filter for app.schema.Filters (same meaning as Filters.accepts)."""
    parts = []
    if filters.article_ids:
        parts.append(f"article_id in [{', '.join(quoted(a) for a in filters.article_ids)}]")
    speakers = [s for s in filters.speakers if s]
    if speakers:
        either = [f"(names like {like_literal(f'|{s}|')} or positions like {like_literal(s)})" for s in speakers]
        parts.append("(" + " or ".join(either) + ")")
    if filters.date_from or filters.date_to:
        parts.append('date != ""')
    if filters.date_from:
        parts.append(f"date >= {quoted(filters.date_from)}")
    if filters.date_to:
        parts.append(f"date <= {quoted(filters.date_to)}")
    return " and ".join(parts)


def term_id(term: str) -> int:
    """A stable 31-bit id of a lexical term: the dimension of the sparse vectors."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "big") & 0x7FFFFFFF


def chunks_of(rows: list[dict[str, Any]]) -> list[Any]:
    from app.schema import Chunk

    return [Chunk.from_dict(json.loads(row["chunk"])) for row in rows]
