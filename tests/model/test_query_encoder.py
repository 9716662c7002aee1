"""Which model folders the light query encoder takes on; the rest stay with sentence-transformers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.model import query_encoder as bert


def make_folder(root: Path, *, model_type: str = "bert", pooling: str = "mean", modules: tuple[str, ...] = ("Transformer", "Pooling", "Normalize")) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps({"model_type": model_type, "hidden_act": "gelu"}))
    paths = {"Transformer": "", "Pooling": "1_Pooling", "Dense": "2_Dense", "Normalize": "3_Normalize"}
    (root / "modules.json").write_text(json.dumps([{"idx": i, "path": paths[m], "type": f"sentence_transformers.x.{m}"} for i, m in enumerate(modules)]))
    (root / "1_Pooling").mkdir(exist_ok=True)
    (root / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode": pooling, "include_prompt": True}))
    (root / "model.safetensors").write_bytes(b"")
    (root / "tokenizer.json").write_text("{}")
    return root


def test_a_mean_pooled_bert_folder_is_supported(tmp_path: Path) -> None:
    assert bert.supported(make_folder(tmp_path / "ok"))
    assert bert.supported(make_folder(tmp_path / "no-normalise", modules=("Transformer", "Pooling")))


@pytest.mark.parametrize(
    "kwargs",
    [{"model_type": "xlm-roberta"}, {"pooling": "cls"}, {"modules": ("Transformer", "Pooling", "Dense", "Normalize")}],
)
def test_other_architectures_stay_with_sentence_transformers(tmp_path: Path, kwargs: dict) -> None:
    assert not bert.supported(make_folder(tmp_path / "other", **kwargs))


def test_a_folder_without_weights_is_not_supported(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "partial")
    (folder / "model.safetensors").unlink()
    assert not bert.supported(folder)


def test_a_damaged_model_folder_is_a_clear_model_error(tmp_path: Path) -> None:
    from app.errors import ModelUnavailable
    from app.model.embed import SentenceTransformerEmbedder

    folder = make_folder(tmp_path / "broken")
    (folder / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_act": "gelu", "max_position_embeddings": 8,
                                                     "num_attention_heads": 1, "num_hidden_layers": 1}))
    (folder / "model.safetensors").write_bytes(b"not a safetensors file" * 4)
    with pytest.raises(ModelUnavailable, match="cannot load embedding model"):
        SentenceTransformerEmbedder(str(folder), "test", "query: ", "passage: ")
