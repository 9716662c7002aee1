"""A compact SentencePiece-style Unigram tokenizer read from a tokenizer.json, for question encoding.

The `tokenizers` library holds a 250k-piece multilingual vocabulary in about 285 MB (its trie and
maps); a Python dict of the same pieces takes about a fifth of that, and a question of a few dozen
characters is segmented in well under a millisecond. This module reproduces what `tokenizers` does
for the layout the bundled e5 folder uses, and nothing else:

- special tokens split out first (`<mask>` also takes the spaces before it);
- normaliser: Precompiled (a SentencePiece charsmap whose keys are single code points, applied the
  way `tokenizers` does: per grapheme cluster, a cluster under 6 bytes whose first code point is
  mapped is replaced as a whole), then spaces squeezed (" {2,}" -> " ");
- pre-tokeniser: Metaspace ("▁", prepend always, split on "▁" merged with the next piece);
- model: Unigram without byte fallback (Viterbi over piece scores; an uncovered character costs
  the lowest score minus 10; adjacent unknowns fuse into one);
- post-processor: `<s> $A </s>`, truncated to the model's length.

`load()` returns None for any other layout, and the caller keeps `tokenizers`. tests/model/test_model_e2e.py
checks that both give the same ids on the seed articles, questions and odd inputs.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import numpy as np

_UNK_PENALTY = 10.0
_SPACE = "▁"


def _charsmap(blob: bytes) -> dict[str, str] | None:
    """{code point: replacement} from a SentencePiece precompiled charsmap (darts-clone double array)."""
    (size,) = struct.unpack_from("<I", blob, 0)
    units = np.frombuffer(blob, "<u4", size // 4, 4).astype(np.int64)
    strings = blob[4 + size :]

    def offset(unit: int) -> int:
        return (unit >> 10) << ((unit & (1 << 9)) >> 6)

    found: dict[bytes, int] = {}
    labels = np.arange(1, 256, dtype=np.int64)
    label_mask = (1 << 31) | 0xFF
    stack = [(0, b"")]
    while stack:
        node, key = stack.pop()
        unit = int(units[node])
        base = node ^ offset(unit)
        if (unit >> 8) & 1 and key:  # has a leaf: the value sits at base (label 0)
            found[key] = int(units[base]) & ((1 << 31) - 1)
        children = base ^ labels
        inside = children < len(units)
        matches = labels[inside][(units[children[inside]] & label_mask) == labels[inside]]
        stack.extend((base ^ int(label), key + bytes([int(label)])) for label in matches)
    out: dict[str, str] = {}
    for key, at in found.items():
        text = key.decode("utf-8", errors="strict")
        if len(text) != 1:
            return None  # multi-character keys are not implemented here
        end = strings.index(b"\0", at)
        out[text] = strings[at:end].decode("utf-8")
    return out


class UnigramTokenizer:
    def __init__(self, pieces: dict[str, int], scores: list[float], unk_id: int, charsmap: dict[str, str],
                 specials: dict[str, int], mask_lstrip: set[str], bos: int, eos: int, max_length: int) -> None:
        self.pieces, self.scores, self.unk_id = pieces, scores, unk_id
        self.unk_score = min(scores) - _UNK_PENALTY
        self.longest = max(len(p) for p in pieces)
        self.charsmap = charsmap
        self.bos, self.eos, self.max_length = bos, eos, max_length
        self.specials = specials
        alternatives = sorted(specials, key=len, reverse=True)
        self._special = re.compile("|".join((r"\s*" if s in mask_lstrip else "") + re.escape(s) for s in alternatives)) if specials else None
        import regex  # grapheme clusters (\X); a dependency of transformers, small to import

        self._graphemes = regex.compile(r"\X")

    def normalise(self, text: str) -> str:
        out = []
        table = self.charsmap
        for cluster in self._graphemes.findall(text):
            if len(cluster.encode("utf-8")) < 6 and cluster[0] in table:
                out.append(table[cluster[0]])  # tokenizers replaces the whole short cluster
                continue
            out.extend(table.get(char, char) for char in cluster)
        return re.sub(" {2,}", " ", "".join(out))

    def _viterbi(self, piece: str) -> list[int]:
        n = len(piece)
        best = [-np.inf] * (n + 1)
        back: list[tuple[int, int]] = [(-1, -1)] * (n + 1)
        best[0] = 0.0
        pieces, scores = self.pieces, self.scores
        for start in range(n):
            here = best[start]
            if here == -np.inf:
                continue
            single = False
            for end in range(start + 1, min(n, start + self.longest) + 1):
                token = pieces.get(piece[start:end])
                if token is None:
                    continue
                candidate = here + scores[token]
                if back[end][0] < 0 or candidate > best[end]:
                    best[end], back[end] = candidate, (start, token)
                if end == start + 1:
                    single = True
            if not single:
                candidate = here + self.unk_score
                if back[start + 1][0] < 0 or candidate > best[start + 1]:
                    best[start + 1], back[start + 1] = candidate, (start, self.unk_id)
        ids, at = [], n
        while at > 0:
            start, token = back[at]
            ids.append(token)
            at = start
        ids.reverse()
        fused = []
        for token in ids:
            if not (token == self.unk_id and fused and fused[-1] == self.unk_id):
                fused.append(token)
        return fused

    def _segment(self, text: str) -> list[int]:
        normalised = self.normalise(text).replace(" ", _SPACE)
        if not normalised:
            return []
        if not normalised.startswith(_SPACE):
            normalised = _SPACE + normalised
        ids: list[int] = []
        for word in re.split(f"(?={_SPACE})", normalised):
            if word:
                ids.extend(self._viterbi(word))
        return ids

    def encode(self, text: str) -> list[int]:
        """Token ids with <s> and </s>, truncated to the model's maximum length."""
        ids: list[int] = []
        position = 0
        for match in self._special.finditer(text) if self._special else ():
            if match.start() > position:
                ids.extend(self._segment(text[position : match.start()]))
            ids.append(self.specials[match.group().lstrip()])
            position = match.end()
        if position < len(text) or not text:
            ids.extend(self._segment(text[position:]))
        return [self.bos, *ids[: self.max_length - 2], self.eos]


def load(path: Path, max_length: int) -> UnigramTokenizer | None:
    """The tokenizer in a tokenizer.json, or None when it uses anything this module does not implement."""
    import base64

    spec = json.loads(path.read_text(encoding="utf-8"))
    model, normaliser, pre, post = spec.get("model") or {}, spec.get("normalizer") or {}, spec.get("pre_tokenizer") or {}, spec.get("post_processor") or {}
    if model.get("type") != "Unigram" or model.get("byte_fallback") or spec.get("truncation") or spec.get("padding"):
        return None
    steps = normaliser.get("normalizers", [normaliser]) if normaliser.get("type") == "Sequence" else [normaliser]
    if not steps or steps[0].get("type") != "Precompiled":
        return None
    squeeze = {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}
    if steps[1:] not in ([], [squeeze]):
        return None
    if {k: pre.get(k) for k in ("type", "replacement", "prepend_scheme", "split")} != {
        "type": "Metaspace", "replacement": _SPACE, "prepend_scheme": "always", "split": True}:
        return None
    single = post.get("single") or []
    if post.get("type") != "TemplateProcessing" or [next(iter(s)) for s in single] != ["SpecialToken", "Sequence", "SpecialToken"]:
        return None
    charsmap = _charsmap(base64.b64decode(steps[0]["precompiled_charsmap"]))
    if charsmap is None:
        return None
    vocab = model["vocab"]
    pieces = {piece: i for i, (piece, _) in enumerate(vocab)}
    scores = [float(score) for _, score in vocab]
    added = spec.get("added_tokens") or []
    if any(t.get("normalized") or t.get("rstrip") or t.get("single_word") for t in added):
        return None
    specials = {t["content"]: int(t["id"]) for t in added}
    lstrip = {t["content"] for t in added if t.get("lstrip")}
    template = {s["SpecialToken"]["id"]: s for s in single if "SpecialToken" in s}
    bos_name, eos_name = single[0]["SpecialToken"]["id"], single[2]["SpecialToken"]["id"]
    if not template or bos_name not in specials or eos_name not in specials:
        return None
    unk_id = model.get("unk_id")
    if unk_id is None:
        return None
    return UnigramTokenizer(pieces, scores, int(unk_id), charsmap, specials, lstrip, specials[bos_name], specials[eos_name], max_length)
