"""What the chat page shows, as escaped HTML and Markdown: document text is never markup."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from app.answer.briefing import answer_body, related_line, to_text, who_said
from app.schema import Answer, Citation

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|>~<&.=$])")
_MARKER = re.compile(r"\\\[(\d+)\\\]")
RELATED_MAX = 3  # a refusal offers at most this many possibly related passages


def markdown_literal(text: str) -> str:
    """Text that Markdown renders exactly as written: HTML and Markdown syntax are escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def card_id(turn: int, n: int) -> str:
    """The HTML id of citation n of the conversation's turn-th answer. Ids differ between answers, so
    each answer's [n] opens that answer's own card, and a click never marks a card of another answer."""
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
    """The answer for the chat: literal text whose [n] markers link to their source cards, then (shown
    on phones only) the same cards under the answer, and a button copying the answer as clean text."""
    parts = []
    if answer.resolved_question:
        parts.append(f"*理解为：{markdown_literal(answer.resolved_question)}*")
    if answer.refused:
        parts.append("**文章中没有找到答案**")
        parts.append(markdown_literal(answer_body(answer)))
    else:
        parts.append(_link_markers(markdown_literal(answer.text), {c.n for c in answer.citations}, turn))
    parts += [f"> ⚠ {markdown_literal(n)}" for n in answer.notices]
    # Raw HTML blocks end at a blank line: each is written on one line.
    if answer.refused:
        parts.append(related_html(answer))
    elif answer.citations:
        parts.append(f"<details class='bg-inline'><summary>出处（{len(answer.citations)}）</summary>{cards_html(answer, turn, 'm')}</details>")
    # The clean text the button copies travels with the answer, hidden (the sanitizer drops data-* attributes).
    parts.append("<div class='bg-actions'><button class='bg-copy'>复制此回答</button></div>")
    parts.append(f"<pre class='bg-plain'>{html.escape(to_text(answer))}</pre>")
    return "\n\n".join(parts)


def related_html(answer: Answer) -> str:
    """A refusal's possibly related passages: collapsed, one short plain line each, never marked as quotes."""
    items = "".join(f"<li>{html.escape(related_line(c))}</li>" for c in answer.citations[:RELATED_MAX])
    if not items:
        return ""
    return f"<details class='bg-related'><summary>可能相关（{min(len(answer.citations), RELATED_MAX)}）</summary><ul>{items}</ul></details>"


def _highlighted(text: str, spans: list[tuple[int, int, int]]) -> str:
    """The passage with each quote (start, end, n) inside <mark>, everything escaped."""
    out, pos = [], 0
    for start, end, n in sorted(spans):
        start = max(start, pos)
        if end <= start:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark title='[{n}]'>{html.escape(text[start:end])}</mark>")
        pos = end
    return "".join(out) + html.escape(text[pos:])


def _by_passage(citations: tuple[Citation, ...]) -> list[list[Citation]]:
    groups: dict[str, list[Citation]] = {}
    for citation in citations:
        groups.setdefault(citation.chunk.id, []).append(citation)
    return list(groups.values())


def cards_html(answer: Answer, turn: int, prefix: str = "") -> str:
    """One card per passage, every quote from it highlighted; the card answers to each of its [n]."""
    cards = []
    for group in _by_passage(answer.citations):
        first, chunk = group[0], group[0].chunk
        who = html.escape(who_said(first))
        meta = " · ".join(x for x in (html.escape(chunk.newspaper), html.escape(chunk.date or "日期不详"), who) if x)
        numbers = "".join(f"[{c.n}]" for c in group)
        # Later citations of the same passage are anchors inside the card (see CSS .bg-card:has(:target)).
        anchors = "".join(f"<span class='bg-anchor' id='{prefix}{card_id(turn, c.n)}'></span>" for c in group[1:])
        cards.append(
            f"<div class='bg-card' id='{prefix}{card_id(turn, first.n)}'>{anchors}"
            f"<div class='bg-card-n'>{numbers}</div>"
            f"<div class='bg-card-title'>《{html.escape(chunk.article_title)}》</div>"
            f"<div class='bg-card-meta'>{meta}</div>"
            f"<div class='bg-card-section'>{html.escape(chunk.section_title)}</div>"
            f"<div class='bg-card-text'>{_highlighted(chunk.text, [(c.quote_start, c.quote_end, c.n) for c in group])}</div></div>"
        )
    return "".join(cards)


def source_cards(answer: Answer | None, turn: int = 1) -> str:
    """The sources of one answer: its cards, or for a refusal the collapsed possibly related lines."""
    if answer is None:
        return "<div class='bg-empty'>提问后，答案引用的原文会显示在这里。</div>"
    if answer.refused:
        return f"<div class='bg-heading'>第 {turn} 问 · 没有找到答案</div>{related_html(answer)}"
    if not answer.citations:
        return f"<div class='bg-heading'>第 {turn} 问 · 没有可引用的段落</div>"
    return f"<div class='bg-heading'>第 {turn} 问 · 出处</div>{cards_html(answer, turn)}"


def sources_pane(answers: list[Answer]) -> str:
    """Every answer's sources, the latest first, so the [n] of any answer in the chat opens its own card."""
    if not answers:
        return source_cards(None)
    groups = [f"<div class='bg-group' id='group-{t}'>{source_cards(a, t)}</div>" for t, a in enumerate(answers, start=1)]
    return "\n".join(reversed(groups))


def status_line(manifest: dict[str, Any], articles: int | None = None) -> str:
    """已收录 N 篇文章 · 更新于 <local time>; the model's name is in the tooltip, not in the text."""
    counts = manifest.get("counts", {})
    count = counts.get("articles", 0) if articles is None else articles
    built = manifest.get("built_at", "")
    try:
        when = datetime.fromisoformat(built.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")
    except (ValueError, AttributeError):
        when = "时间不详"
    tooltip = html.escape(f"模型 {manifest.get('model', '?')} · {counts.get('chunks', 0)} 个段落", quote=True)
    return f"<span title='{tooltip}'>已收录 {count} 篇文章 · 更新于 {when}</span>"


def article_label(article: dict[str, Any]) -> str:
    """《headline》 date · file — how the articles tab names an article."""
    return f"《{article.get('title', '')}》 {article.get('date') or '日期不详'} · {article.get('source', '')}"


def article_rows(articles: list[dict[str, Any]]) -> list[list[Any]]:
    """Rows for the Articles tab: headline, date, sections, passages, file."""
    return [
        [a.get("title", ""), a.get("date") or "日期不详", len(a.get("sections", [])), a.get("chunks", 0), a.get("source", "")]
        for a in articles
    ]


CSS = """
.bg-card {border:1px solid var(--border-color-primary); border-radius:8px; padding:10px 12px; margin:8px 0;}
.bg-card:target, .bg-card:has(.bg-anchor:target) {border-color: var(--color-accent); box-shadow: 0 0 0 2px var(--color-accent-soft);}
.bg-card-n {font-weight:700; float:right; color: var(--color-accent);}
.bg-card-title {font-weight:600;}
.bg-card-meta, .bg-card-section {font-size:0.85em; opacity:0.8;}
.bg-card-text {margin-top:6px; white-space:pre-wrap; line-height:1.6;}
.bg-card-text mark {background: #ffe58a; color: inherit; padding:0 1px;}
.bg-heading {font-weight:700; margin:10px 0 4px;}
.bg-empty {opacity:0.7; padding:12px;}
.bg-related li {font-size:0.9em; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; max-width:100%;}
.bg-related ul {padding-left:1.2em; margin:4px 0;}
.bg-copy {font-size:0.8em; border:1px solid var(--border-color-primary); border-radius:6px; padding:1px 8px; margin-top:4px; cursor:pointer; background:transparent;}
#bg-sources {max-height: 75vh; overflow-y: auto !important;}
#bg-chat .bg-inline {display:none;}
.bg-plain {display:none !important;}
.bg-feedback-ack {font-size:0.85em; color: var(--color-accent);}
/* Gradio's queue counters and timers around the chat: the page shows its own 正在检索… instead
   (uploads keep their progress line). */
:is(#bg-chat, #bg-sources, #bg-question, #bg-briefing) :is(.progress-text, .eta-bar, .meta-text, .meta-text-center, .timer)
  {display:none !important;}
#bg-newchat {max-width: 10em; align-self: center;}
#bg-confirm {position: fixed; top: 30%; left: 50%; transform: translateX(-50%); z-index: 1000; width: min(520px, 92vw);
  padding: 16px; border-radius: 10px; box-shadow: 0 8px 32px rgba(0,0,0,0.35); background: var(--background-fill-primary);}
@media (max-width: 768px) {
  #bg-sources {display:none;}
  #bg-chat .bg-inline {display:block;}
  #bg-chat {height: auto !important; max-height: 60vh; min-height: 120px;}
}
"""
