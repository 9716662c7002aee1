"""A light query encoder for BERT-architecture sentence-transformers folders (such as the bundled e5).

Questions are encoded at serving time, one or a few at a time. Importing sentence-transformers pulls in
transformers, scikit-learn, scipy and pandas: about three seconds of a cold start and ~100 MB of a
serving process, for a forward pass that is a few dozen lines of torch. This module runs that forward
pass from the folder's own files (config.json, tokenizer.json, model.safetensors) and the folder's
pooling settings, so queries need only torch and safetensors (and app.model.tokenizer's compact tokenizer,
or `tokenizers` for layouts it does not reproduce). Passages are still embedded
by sentence-transformers; tests/model/test_model_e2e.py checks that both give the same vectors.

Only what the bundled model family uses is supported: model_type "bert", absolute positions, GELU,
mean pooling over the prompt and text, optional L2 normalisation. Anything else makes `supported()`
false and the caller keeps sentence-transformers for queries too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def supported(folder: Path) -> bool:
    """True when `folder` holds a model this encoder computes exactly like sentence-transformers does."""
    config = _read_json(folder / "config.json")
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8")) if (folder / "modules.json").exists() else []
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return False
    pooling = _read_json(folder / modules[1].get("path", "") / "config.json")
    pooling_ok = pooling.get("pooling_mode", "mean" if pooling.get("pooling_mode_mean_tokens") else "") == "mean"
    return (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and pooling_ok
        and pooling.get("include_prompt", True)
        and (folder / "model.safetensors").exists()
        and (folder / "tokenizer.json").exists()
    )


class BertQueryEncoder:
    """Mean-pooled, optionally normalised BERT sentence vectors computed in fp32 on the CPU.

    The token-embedding table (most of a multilingual model's weights) stays in fp16 and is only
    looked up; every other weight is fp32, as in app.model.embed's sentence-transformers setup.
    """

    def __init__(self, folder: Path) -> None:
        import torch
        from safetensors.torch import load_file

        config = _read_json(folder / "config.json")
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        self.normalise = any(m.get("type", "").endswith("Normalize") for m in modules)
        st_config = _read_json(folder / "sentence_bert_config.json")
        tokenizer_config = _read_json(folder / "tokenizer_config.json")
        max_length = int(st_config.get("max_seq_length") or tokenizer_config.get("model_max_length") or config["max_position_embeddings"])
        self.max_length = min(max_length, int(config["max_position_embeddings"]))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.pad_id = int(config.get("pad_token_id", 0) or 0)
        from app.model import tokenizer as unigram

        # The compact tokenizer when the folder's layout is one it reproduces exactly (the bundled
        # e5's is); it holds the vocabulary in ~60 MB where `tokenizers` takes ~285 MB.
        self._compact = unigram.load(folder / "tokenizer.json", self.max_length)
        if self._compact is None:
            from tokenizers import Tokenizer

            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self.tokenizer.enable_truncation(self.max_length)
        weights = load_file(str(folder / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
        self.w = {name[len(prefix):]: tensor for name, tensor in weights.items() if name.startswith(prefix)}
        for name, tensor in self.w.items():
            self.w[name] = tensor.half() if name == "embeddings.word_embeddings.weight" else tensor.float()
        self.dim = int(self.w["embeddings.word_embeddings.weight"].shape[1])
        self._torch = torch

    def adopt(self, state: dict) -> bool:
        """Use another loaded copy's tensors (same names, shapes and dtypes) instead of this one's."""
        own = self.w
        if not all(name in state and state[name].shape == t.shape and state[name].dtype == t.dtype for name, t in own.items()):
            return False
        self.w = {name: state[name].detach() for name in own}
        return True

    def _layer(self, x, mask, i: int):  # type: ignore[no-untyped-def]
        torch = self._torch
        f = torch.nn.functional
        w, p = self.w, f"encoder.layer.{i}."
        batch, length, dim = x.shape
        head_dim = dim // self.heads

        def heads(name: str):  # type: ignore[no-untyped-def]
            y = f.linear(x, w[p + f"attention.self.{name}.weight"], w[p + f"attention.self.{name}.bias"])
            return y.view(batch, length, self.heads, head_dim).transpose(1, 2)

        attended = f.scaled_dot_product_attention(heads("query"), heads("key"), heads("value"), attn_mask=mask)
        attended = attended.transpose(1, 2).reshape(batch, length, dim)
        attended = f.linear(attended, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"])
        x = f.layer_norm(attended + x, (dim,), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], self.eps)
        inner = f.gelu(f.linear(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"]))
        out = f.linear(inner, w[p + "output.dense.weight"], w[p + "output.dense.bias"])
        return f.layer_norm(out + x, (dim,), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)

    def encode(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        """L2-normalised (if the folder says so) float32 vectors, one row per text, in input order."""
        torch = self._torch
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._compact is not None:
            rows = [self._compact.encode(text) for text in texts]
        else:
            rows = [encoding.ids for encoding in self.tokenizer.encode_batch(texts)]
        order = sorted(range(len(texts)), key=lambda i: len(rows[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                out[chunk] = self._forward([rows[i] for i in chunk])
        return out

    def _forward(self, rows: list[list[int]]) -> np.ndarray:
        torch = self._torch
        f = torch.nn.functional
        w = self.w
        length = max(len(r) for r in rows)
        ids = torch.full((len(rows), length), self.pad_id, dtype=torch.long)
        keep = torch.zeros((len(rows), length), dtype=torch.bool)
        for row, tokens in enumerate(rows):
            ids[row, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
            keep[row, : len(tokens)] = True
        x = f.embedding(ids, w["embeddings.word_embeddings.weight"]).float()
        x = x + w["embeddings.position_embeddings.weight"][:length] + w["embeddings.token_type_embeddings.weight"][0]
        x = f.layer_norm(x, (self.dim,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        # Padded keys get -inf before the softmax; a row never consists of padding alone.
        mask = torch.zeros((len(rows), 1, 1, length), dtype=torch.float32).masked_fill(~keep[:, None, None, :], -math.inf)
        for i in range(self.layers):
            x = self._layer(x, mask, i)
        weights = keep.unsqueeze(-1).float()
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        if self.normalise:
            pooled = f.normalize(pooled, p=2, dim=1)
        return pooled.numpy()
