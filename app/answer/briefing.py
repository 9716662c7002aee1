"""Answers in a form that goes straight into a written briefing: plain text, Markdown and .docx.

Article text is data, never markup: the Markdown export escapes it, so a `<script>` or a
`[x](javascript:…)` inside an article is shown as written and never becomes a tag or a link.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.schema import Answer, Citation

# Inline syntax that could become markup anywhere in a line (HTML, links, images, emphasis, code).
_INLINE = re.compile(r"([\\`*_\[\]()<>&!|~$#])")
# Syntax that only counts at the start of a line: list items, setext underlines, numbered lists.
_BULLET = re.compile(r"^(\s*)([-+=])", re.MULTILINE)
_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)
# A bare [n] cannot become a link while every link reference definition ("[n]: url") stays escaped,
# so citation markers are left readable; one followed by ':', '(' or '[' stays escaped.
_MARKER = re.compile(r"\\\[(\d+)\\\](?![:(\[])")
_RELATED_HEAD = ("可能相关：", "Possibly related:")
CJK_FONT = "宋体"  # Word's East Asian font; LibreOffice substitutes Noto Serif CJK SC when it is missing


def markdown_escape(text: str) -> str:
    """Text that Markdown renders exactly as written: no HTML, links, emphasis, headings or lists."""
    escaped = _INLINE.sub(r"\\\1", text)
    escaped = _ORDERED.sub(r"\1\\\2", escaped)
    escaped = _BULLET.sub(r"\1\\\2", escaped)
    return _MARKER.sub(r"[\1]", escaped)


def who_said(citation: Citation) -> str:
    name, position = citation.chunk.voice_at(citation.quote_start, citation.quote_end)
    return f"{position}{name}"


def source_description(citation: Citation) -> str:
    """《headline》，newspaper，date，section，speaker — where a quote comes from, without the quote."""
    chunk = citation.chunk
    who = who_said(citation)
    section = chunk.section_title if chunk.section_title not in (chunk.article_title, who) else ""
    parts = [f"《{chunk.article_title}》", chunk.newspaper, chunk.date or "日期不详", section, who]
    return "，".join(p for p in parts if p)


def source_line(citation: Citation) -> str:
    """[n] 《headline》，newspaper，date，section，speaker：“quote”"""
    quote = citation.quote.strip()
    return f"[{citation.n}] {source_description(citation)}：{quote if quote.startswith('“') else f'“{quote}”'}"


def related_line(citation: Citation) -> str:
    """One short line for a refusal's possibly related passage: headline, speaker, first sentence."""
    who = who_said(citation)
    return f"《{citation.chunk.article_title}》{' · ' + who if who else ''}：{citation.quote.strip()}"


def answer_body(answer: Answer) -> str:
    """The answer's own text; a refusal without the 可能相关 list its text ends with (listed once, apart)."""
    if not answer.refused:
        return answer.text.strip()
    lines = answer.text.split("\n")
    cut = next((i for i, line in enumerate(lines) if line.strip() in _RELATED_HEAD), len(lines))
    return "\n".join(lines[:cut]).strip()


def _sources_block(answer: Answer, line: callable = source_line) -> list[str]:  # type: ignore[valid-type]
    if not answer.citations:
        return []
    if answer.refused:
        return ["可能相关：", *(f"{c.n}. {related_line(c)}" for c in answer.citations)]
    return ["出处：", *(line(c) for c in answer.citations)]


def to_text(answer: Answer) -> str:
    """Plain text to paste into a briefing: question, answer with [n], then the numbered sources."""
    lines = [f"问：{answer.question}"]
    if answer.resolved_question:
        lines.append(f"（理解为：{answer.resolved_question}）")
    lines.append(answer_body(answer))
    lines += [f"注意：{notice}" for notice in answer.notices]
    lines += _sources_block(answer)
    return "\n".join(lines).strip() + "\n"


def conversation_text(answers: list[Answer]) -> str:
    """The whole conversation as plain text, one answer after another."""
    return "\n".join(to_text(a) for a in answers)


def to_markdown(answer: Answer, *, heading: bool = True) -> str:
    """The question, the answer with its [n] markers, then the numbered sources; article text escaped."""
    lines = [f"### {markdown_escape(answer.question)}", ""] if heading else []
    if answer.resolved_question:
        lines += [f"（理解为：{markdown_escape(answer.resolved_question)}）", ""]
    lines += [f"{markdown_escape(line)}  " for line in answer_body(answer).split("\n")] + [""]
    lines += [f"> 注意：{markdown_escape(notice)}" for notice in answer.notices]
    block = _sources_block(answer)
    if block:
        lines += ["", f"**{block[0].rstrip('：')}：**", ""]
        lines += [f"{markdown_escape(line)}  " for line in block[1:]]
    return "\n".join(lines).strip() + "\n"


def conversation_markdown(answers: list[Answer], title: str = "标杆问答摘录") -> str:
    return f"# {title}\n\n" + "\n\n".join(to_markdown(a) for a in answers)


def _east_asian(paragraph, size: float | None = None) -> None:  # type: ignore[no-untyped-def]
    """Give every run of a paragraph the CJK font as its East Asian font (w:eastAsia)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for run in paragraph.runs:
        run.font.name = run.font.name or CJK_FONT
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)
        if size:
            run.font.size = Pt(size)


def _a4(document) -> None:  # type: ignore[no-untyped-def]
    from docx.oxml.ns import qn
    from docx.shared import Mm

    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(25)
    normal = document.styles["Normal"]
    normal.font.name = CJK_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)


def to_docx(answers: list[Answer], path: Path, title: str = "标杆问答摘录") -> Path:
    """A4 Word document: each question as a heading, the answer, then its numbered sources (no quote
    repeated: the quote is already in the answer beside its [n])."""
    from docx import Document

    document = Document()
    _a4(document)
    _east_asian(document.add_heading(title, level=1))
    for answer in answers:
        _east_asian(document.add_heading(answer.question, level=2))
        if answer.resolved_question:
            _east_asian(document.add_paragraph(f"（理解为：{answer.resolved_question}）"))
        for line in answer_body(answer).split("\n"):
            _east_asian(document.add_paragraph(line))
        for notice in answer.notices:
            paragraph = document.add_paragraph(f"注意：{notice}")
            paragraph.runs[0].italic = True
            _east_asian(paragraph)
        block = _sources_block(answer, lambda c: f"[{c.n}] {source_description(c)}")
        if block:
            heading = document.add_paragraph(block[0])
            heading.runs[0].bold = True
            _east_asian(heading)
            for line in block[1:]:
                _east_asian(document.add_paragraph(line), size=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path
