"""LLM answers made checkable: citations from the [n] markers, unsupported sentences marked."""

from __future__ import annotations

import logging
import re

from app.answer.support import Verdict, check, is_english
from app.answer.verify import UNVERIFIED, claims, problems
from app.schema import Answer, Citation, Hit
from app.text import bigrams, sentence_spans

log = logging.getLogger(__name__)
_MARKER = re.compile(r"\[(\d+)\]")
REFUSAL_START = "文章中没有找到"
ENGLISH_NOTICE = "英文句子只核对了数字、增减方向和城市名，其余内容未能逐句与中文原文核对。"


def best_quote(claim: str, text: str) -> tuple[int, int]:
    """The sentence of a passage that shares most character pairs with a claim about it."""
    wanted = set(bigrams(_MARKER.sub("", claim)))
    spans = sentence_spans(text) or [(0, len(text))]
    return max(spans, key=lambda span: len(wanted & set(bigrams(text[span[0] : span[1]]))))


def _cited(claim: str, hits: list[Hit]) -> list[int]:
    return list(dict.fromkeys(int(n) for n in _MARKER.findall(claim) if 0 < int(n) <= len(hits)))


def verdict(claim: str, hits: list[Hit]) -> Verdict:
    """Whether a claim is supported by the passages it cites (their text, title, speaker, newspaper)."""
    cited = _cited(claim, hits)
    if not cited:
        return Verdict(False, 0.0, ("没有标注出处",))
    chunks = [hits[n - 1].chunk for n in cited]
    context = " ".join(f"{c.header} {c.newspaper}" for c in chunks)
    return check(claim, "\n".join(c.text for c in chunks), context)


def unverified_notice(reasons: list[str]) -> str:
    """One notice for all marked sentences: how many, and why the first few failed."""
    why = "；".join(reasons[:3]) + ("……" if len(reasons) > 3 else "")
    return f"{len(reasons)} 句无法与所引文章核对（没有可核实的出处或与出处不符：{why}），已标注{UNVERIFIED}"


def from_llm(question: str, generated: str, hits: list[Hit]) -> Answer:
    """Turn generated text into an Answer whose citations are verbatim quotes of the cited passages.

    Sentences without a valid citation, or that the passages they cite do not support (see
    app/answer/support.py), are marked （未核实） and counted in a notice, never shown as if they passed.
    """
    text = generated.strip()
    if text.startswith(REFUSAL_START) or not hits:
        return Answer(question=question, text=text or f"{REFUSAL_START}相关信息。", refused=True, citations=(), hits=tuple(hits))
    marked, reasons = [], []
    for claim in claims(text):
        result = verdict(claim, hits)
        marked.append(claim if result.supported else claim + UNVERIFIED)
        if not result.supported:
            reasons.append(result.reasons[0])
            log.info("unsupported: %s (%s, overlap %.2f)", claim[:60], "; ".join(result.reasons), result.score)
    body = "".join(marked)
    numbers = sorted({int(n) for n in _MARKER.findall(body) if 0 < int(n) <= len(hits)})
    citations = []
    for n in numbers:
        chunk = hits[n - 1].chunk
        claim = " ".join(c for c in marked if f"[{n}]" in c)
        start, end = best_quote(claim, chunk.text)
        citations.append(Citation(n, chunk, chunk.text[start:end], start, end))
    answer = Answer(question=question, text=body, refused=False, citations=tuple(citations), hits=tuple(hits))
    # Uncited sentences and figures are judged per sentence above (a figure as a whole quantity, so
    # 0.7万亿元 passes where the substring test of problems() would not); the rest still applies.
    issues = [p for p in problems(answer) if not p.startswith(("no citation", "the figure "))]
    notices = tuple(f"未通过核验：{issue}" for issue in issues)
    if reasons:
        notices += (unverified_notice(reasons),)
    if any(is_english(c) for c in marked if UNVERIFIED not in c):
        notices += (ENGLISH_NOTICE,)
    return Answer(question=question, text=body, refused=False, citations=tuple(citations), hits=tuple(hits), notices=notices)

