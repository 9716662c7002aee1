"""Checks that an answer is grounded: citations exist, quotes are verbatim, figures are cited."""

from __future__ import annotations

import re
from dataclasses import replace

from app.schema import Answer

_MARKER = re.compile(r"\[(\d+)\]")
_FIGURE = re.compile(r"\d+(?:\.\d+)?")
UNVERIFIED = "（未核实）"


def problems(answer: Answer) -> list[str]:
    """Everything wrong with an answer's grounding; empty when it passes."""
    found = []
    numbers = {c.n for c in answer.citations}
    text = answer.text
    for marker in _MARKER.findall(text):
        if int(marker) not in numbers:
            found.append(f"[{marker}] refers to no listed source")
    for citation in answer.citations:
        if citation.chunk.text[citation.quote_start : citation.quote_end] != citation.quote:
            found.append(f"the quote of [{citation.n}] is not verbatim in its passage")
    cited = " ".join(c.chunk.text for c in answer.citations) + " " + " ".join(c.chunk.header for c in answer.citations)
    # A refusal repeats the question in its first line; only what it lists must be grounded.
    stated = text.split("\n", 1)[1] if answer.refused and "\n" in text else ("" if answer.refused else text)
    for figure in _FIGURE.findall(_MARKER.sub(" ", stated)):
        if figure not in cited:
            found.append(f"the figure {figure} does not occur in any cited passage")
    if not answer.refused:
        for sentence in uncited_sentences(text):
            found.append(f"no citation for: {sentence[:40]}")
    return found


def claims(text: str) -> list[str]:
    """Sentences of an answer, where a “quotation” counts as part of its sentence, with their markers.

    Straight quotes (") are not tracked: OCR text often leaves them unbalanced.
    """
    out, current, depth = [], [], 0
    for char in text:
        current.append(char)
        if char in "“「":
            depth += 1
        elif char in "”」":
            depth = max(0, depth - 1)
        if (char in "。！？!?" and depth == 0) or char == "\n":
            out.append("".join(current))
            current, depth = [], 0
    out.append("".join(current))
    # A marker right after a sentence end ("…。[1]") belongs to that sentence.
    merged: list[str] = []
    for piece in out:
        lead = _MARKER.match(piece.strip())
        if merged and lead:
            merged[-1] += lead.group()
            piece = piece.strip()[lead.end() :]
        merged.append(piece)
    return [m.strip() for m in merged if m.strip()]


def uncited_sentences(text: str) -> list[str]:
    """Sentences that state something but carry no [n]."""
    return [c for c in claims(text) if not _MARKER.search(c) and sum(ch.isalnum() for ch in c) > 4]


def checked(answer: Answer) -> Answer:
    """The answer with a visible notice for each grounding problem (never shown as if it passed)."""
    issues = problems(answer)
    if not issues:
        return answer
    return replace(answer, notices=answer.notices + tuple(f"未通过核验：{issue}" for issue in issues))
