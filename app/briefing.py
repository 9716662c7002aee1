"""Answers in a form that goes straight into a written briefing: Markdown and .docx."""

from __future__ import annotations

import re
from pathlib import Path

from app.schema import Answer, Citation

_MARKER = re.compile(r"\[(\d+)\]")


def source_line(citation: Citation) -> str:
    """[n] 《headline》，newspaper，date，section，speaker：“quote”"""
    chunk = citation.chunk
    name, position = chunk.voice_at(citation.quote_start, citation.quote_end)
    who = f"{position}{name}"
    section = chunk.section_title if chunk.section_title not in (chunk.article_title, who) else ""
    parts = [f"《{chunk.article_title}》", chunk.newspaper, chunk.date or "日期不详", section, who]
    described = "，".join(p for p in parts if p)
    quote = citation.quote.strip()
    return f"[{citation.n}] {described}：{quote if quote.startswith('“') else f'“{quote}”'}"


def to_markdown(answer: Answer, *, heading: bool = True) -> str:
    """The question, the answer with its [n] markers, then the numbered sources with their quotes."""
    lines = [f"### {answer.question}", ""] if heading else []
    if answer.resolved_question:
        lines += [f"（理解为：{answer.resolved_question}）", ""]
    lines += [answer.text, ""]
    lines += [f"> 注意：{notice}" for notice in answer.notices]
    if answer.citations:
        lines += ["", "**可能相关的段落：**" if answer.refused else "**出处：**", ""]
        lines += [f"{source_line(c)}  " for c in answer.citations]
    return "\n".join(lines).strip() + "\n"


def conversation_markdown(answers: list[Answer], title: str = "标杆问答摘录") -> str:
    return f"# {title}\n\n" + "\n\n".join(to_markdown(a) for a in answers)


def to_docx(answers: list[Answer], path: Path, title: str = "标杆问答摘录") -> Path:
    """A Word document: each question as a heading, the answer, then its numbered sources."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.add_heading(title, level=1)
    for answer in answers:
        document.add_heading(answer.question, level=2)
        if answer.resolved_question:
            document.add_paragraph(f"（理解为：{answer.resolved_question}）")
        for line in answer.text.split("\n"):
            document.add_paragraph(line)
        for notice in answer.notices:
            document.add_paragraph(f"注意：{notice}").runs[0].italic = True
        if answer.citations:
            document.add_paragraph("可能相关的段落：" if answer.refused else "出处：").runs[0].bold = True
            for citation in answer.citations:
                paragraph = document.add_paragraph(source_line(citation))
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path
