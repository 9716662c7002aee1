"""LLM answers made checkable: citations from the [n] markers, unsupported sentences marked."""

from __future__ import annotations

import re
from app.schema import Answer, Citation, Hit
from app.text import bigrams, sentence_spans
from app.verify import UNVERIFIED, claims, problems

_MARKER = re.compile(r"\[(\d+)\]")
_FIGURE = re.compile(r"\d+(?:\.\d+)?")
REFUSAL_START = "文章中没有找到"


def best_quote(claim: str, text: str) -> tuple[int, int]:
    """The sentence of a passage that shares most character pairs with a claim about it."""
    wanted = set(bigrams(_MARKER.sub("", claim)))
    spans = sentence_spans(text) or [(0, len(text))]
    return max(spans, key=lambda span: len(wanted & set(bigrams(text[span[0] : span[1]]))))


def _supported(claim: str, hits: list[Hit]) -> bool:
    """A claim is supported when it cites passages that hold every figure it states."""
    cited = [int(n) for n in _MARKER.findall(claim) if 0 < int(n) <= len(hits)]
    if not cited:
        return False
    text = " ".join(hits[n - 1].chunk.text for n in cited)
    return all(figure in text for figure in _FIGURE.findall(_MARKER.sub("", claim)))


def from_llm(question: str, generated: str, hits: list[Hit]) -> Answer:
    """Turn generated text into an Answer whose citations are verbatim quotes of the cited passages.

    Sentences without a valid citation, or stating a figure their passages do not hold, are marked
    （未核实） and reported in the notices, never shown as if they passed.
    """
    text = generated.strip()
    if text.startswith(REFUSAL_START) or not hits:
        return Answer(question=question, text=text or f"{REFUSAL_START}相关信息。", refused=True, citations=(), hits=tuple(hits))
    marked = []
    for claim in claims(text):
        marked.append(claim if _supported(claim, hits) else claim + UNVERIFIED)
    body = "".join(marked)
    numbers = sorted({int(n) for n in _MARKER.findall(body) if 0 < int(n) <= len(hits)})
    citations = []
    for n in numbers:
        chunk = hits[n - 1].chunk
        claim = " ".join(c for c in marked if f"[{n}]" in c)
        start, end = best_quote(claim, chunk.text)
        citations.append(Citation(n, chunk, chunk.text[start:end], start, end))
    answer = Answer(question=question, text=body, refused=False, citations=tuple(citations), hits=tuple(hits))
    issues = [p for p in problems(answer) if not p.startswith("no citation")]
    unverified = sum(UNVERIFIED in c for c in marked)
    notices = tuple(f"未通过核验：{issue}" for issue in issues)
    if unverified:
        notices += (f"{unverified} 句没有可核实的出处，已标注{UNVERIFIED}",)
    return Answer(question=question, text=body, refused=False, citations=tuple(citations), hits=tuple(hits), notices=notices)

