"""Evidence -> Answer. Until the extractive answerer lands, the answer presents the top passages."""

from __future__ import annotations

from app.schema import Answer, Citation, Hit

PRESENTED = 3
SNIPPET_CHARS = 160


def present_passages(question: str, hits: list[Hit]) -> Answer:
    """An answer that lists the best passages verbatim, each cited; refused when nothing was found."""
    if not hits:
        text = f"文章中没有找到与“{question}”相关的段落。"
        return Answer(question=question, text=text, refused=True, citations=(), hits=())
    citations = []
    lines = ["最相关的段落："]
    for n, hit in enumerate(hits[:PRESENTED], start=1):
        chunk = hit.chunk
        quote = chunk.text[:SNIPPET_CHARS]
        citations.append(Citation(n=n, chunk=chunk, quote=quote, quote_start=0, quote_end=len(quote)))
        who = f"{chunk.position}{chunk.speaker}"
        lines.append(f"[{n}] {who + '：' if who else ''}{quote}{'…' if len(chunk.text) > len(quote) else ''}")
    return Answer(question=question, text="\n".join(lines), refused=False, citations=tuple(citations), hits=tuple(hits))
