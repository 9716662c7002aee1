"""What the chat page shows, as escaped HTML and Markdown: document text is never markup."""

from __future__ import annotations

import html
import re
from typing import Any

from app.schema import Answer, Citation

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|>~<&.=$])")
_MARKER = re.compile(r"\\\[(\d+)\\\]")


def markdown_literal(text: str) -> str:
    """Text that Markdown renders exactly as written: HTML and Markdown syntax are escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def card_id(turn: int, n: int) -> str:
    """The HTML id of citation n of the conversation's turn-th answer. Ids differ between answers, so a
    citation clicked in one answer never marks (:target) a card of the next."""
    return f"source-{turn}-{n}"


def _link_markers(escaped: str, numbers: set[int], turn: int) -> str:
    """Link the answer's own [n] markers (outside “quotations”) to their cards; quoted text stays as is."""
    out, depth, pos = [], 0, 0
    for match in _MARKER.finditer(escaped):
        segment = escaped[pos : match.start()]
        depth = max(0, depth + segment.count("“") - segment.count("”"))
        n = int(match.group(1))
        out.append(segment + (f"[\\[{n}\\]](#{card_id(turn, n)})" if depth == 0 and n in numbers else match.group()))
        pos = match.end()
    return "".join(out) + escaped[pos:]


def answer_markdown(answer: Answer, turn: int = 1) -> str:
    """The answer for the chat: literal text whose [n] markers link to their source cards."""
    body = _link_markers(markdown_literal(answer.text), {c.n for c in answer.citations}, turn)
    parts = []
    if answer.resolved_question:
        parts.append(f"*理解为：{markdown_literal(answer.resolved_question)}*")
    if answer.refused:
        parts.append("**文章中没有找到答案**")
    parts.append(body)
    parts += [f"> ⚠ {markdown_literal(n)}" for n in answer.notices]
    return "\n\n".join(parts)


def _highlighted(citation: Citation) -> str:
    text = citation.chunk.text
    a, b = citation.quote_start, citation.quote_end
    return f"{html.escape(text[:a])}<mark>{html.escape(text[a:b])}</mark>{html.escape(text[b:])}"


def source_cards(answer: Answer | None, turn: int = 1) -> str:
    """One card per citation: the quote highlighted inside its passage, headline, date, speaker."""
    if answer is None:
        return "<div class='bg-empty'>提问后，答案引用的原文会显示在这里。</div>"
    if not answer.citations:
        return "<div class='bg-empty'>没有可引用的段落。</div>"
    heading = "可能相关的段落" if answer.refused else "出处"
    cards = [f"<div class='bg-heading'>{heading}</div>"]
    for citation in answer.citations:
        chunk = citation.chunk
        who = html.escape("".join(reversed(chunk.voice_at(citation.quote_start, citation.quote_end))))
        meta = " · ".join(x for x in (html.escape(chunk.newspaper), html.escape(chunk.date or "日期不详"), who) if x)
        cards.append(
            f"<div class='bg-card' id='{card_id(turn, citation.n)}'>"
            f"<div class='bg-card-n'>[{citation.n}]</div>"
            f"<div class='bg-card-title'>《{html.escape(chunk.article_title)}》</div>"
            f"<div class='bg-card-meta'>{meta}</div>"
            f"<div class='bg-card-section'>{html.escape(chunk.section_title)}</div>"
            f"<div class='bg-card-text'>{_highlighted(citation)}</div></div>"
        )
    return "\n".join(cards)


def status_line(manifest: dict[str, Any]) -> str:
    counts = manifest.get("counts", {})
    return (
        f"索引：{counts.get('articles', 0)} 篇文章 · {counts.get('chunks', 0)} 个段落 · "
        f"模型 {manifest.get('model', '?')} · 构建于 {manifest.get('built_at', '?')}"
    )


def article_rows(articles: list[dict[str, Any]]) -> list[list[Any]]:
    """Rows for the Articles tab: headline, date, sections, passages, file."""
    return [
        [a.get("title", ""), a.get("date") or "日期不详", len(a.get("sections", [])), a.get("chunks", 0), a.get("source", "")]
        for a in articles
    ]


CSS = """
.bg-card {border:1px solid var(--border-color-primary); border-radius:8px; padding:10px 12px; margin:8px 0;}
.bg-card:target {border-color: var(--color-accent); box-shadow: 0 0 0 2px var(--color-accent-soft);}
.bg-card-n {font-weight:700; float:right; color: var(--color-accent);}
.bg-card-title {font-weight:600;}
.bg-card-meta, .bg-card-section {font-size:0.85em; opacity:0.8;}
.bg-card-text {margin-top:6px; white-space:pre-wrap; line-height:1.6;}
.bg-card-text mark {background: #ffe58a; color: inherit; padding:0 1px;}
.bg-heading {font-weight:700; margin-bottom:4px;}
.bg-empty {opacity:0.7; padding:12px;}
#bg-sources {max-height: 75vh; overflow-y: auto !important;}
@media (max-width: 768px) { #bg-sources {max-height: none;} }
"""
