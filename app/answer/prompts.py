"""Prompt templates as plain files, and the passage block the LLM reads as data."""

from __future__ import annotations

import re
import string
from pathlib import Path

from app.config import PROJECT_ROOT
from app.errors import BiaoganError
from app.schema import Chunk

PROMPTS_DIR = PROJECT_ROOT / "prompts"

# Any spelling of our fence markers, including full-width brackets and inner spaces, so a
# document cannot close its own fence early and smuggle text out of the data block.
_FENCE = re.compile(r"[<＜]{3,}\s*/?\s*(?:passage|end)[^<>＜＞\n]*[>＞]{3,}", re.IGNORECASE)


def placeholders(template: str) -> set[str]:
    """Names of the {placeholders} in a str.format template ({{ }} are literal braces)."""
    # The whole field name counts, so "{question.upper}" or a positional "{}" is reported as unknown.
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None:
            names.add(field)
    return names


def load_prompt(name: str, required: set[str], folder: Path | None = None) -> str:
    """Read prompts/<name>.txt and check its placeholders are exactly `required`."""
    path = (folder or PROMPTS_DIR) / f"{name}.txt"
    hint = f"edit {path} so it uses exactly {sorted(required) or 'no placeholders'}; write literal braces as {{{{ }}}}"
    try:
        template = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BiaoganError(f"cannot read prompt template {path}: {exc.strerror or exc}", hint) from exc
    try:
        found = placeholders(template)
    except ValueError as exc:  # e.g. a single unmatched "{"
        raise BiaoganError(f"prompt template {path} is not a valid format string: {exc}", hint) from exc
    if found != required:
        missing, unknown = sorted(required - found), sorted(found - required)
        raise BiaoganError(f"prompt template {path}: missing placeholders {missing}, unknown placeholders {unknown}", hint)
    return template


def strip_fences(text: str) -> str:
    """Remove anything shaped like a fence marker; repeat because removal can join fragments."""
    while True:
        cleaned = _FENCE.sub("", text)
        if cleaned == text:
            return cleaned
        text = cleaned


def passage_label(n: int, chunk: Chunk) -> str:
    """'[n] 《title》 date · position+speaker：' with the empty parts left out."""
    # Titles and bylines come from the documents too, so they get the same cleaning as the text.
    title = " ".join(strip_fences(chunk.article_title).split())
    who = " ".join(strip_fences(f"{chunk.position}{chunk.speaker}").split())
    head = f"[{n}] 《{title}》"
    if chunk.date:
        head += f" {chunk.date}"
    if who:
        head += f" · {who}"
    return f"{head}："


def format_passages(chunks: list[Chunk]) -> str:
    """Number the passages from 1 and fence each text so the model reads it as data."""
    blocks = []
    for n, chunk in enumerate(chunks, start=1):
        body = strip_fences(chunk.text).strip()
        blocks.append(f"{passage_label(n, chunk)}\n<<<passage {n}>>>\n{body}\n<<<end {n}>>>")
    return "\n\n".join(blocks)
