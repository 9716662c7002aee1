from __future__ import annotations

from pathlib import Path

from app.answer import LocalCorpus, compose
from app.briefing import conversation_markdown, source_line, to_docx, to_markdown
from tests.conftest import make_hit


def answer():  # type: ignore[no-untyped-def]
    hits = [make_hit("力争全年新增高新技术企业500家。", speaker="李明", position="市科技局局长")]
    return compose("李明说要新增多少家企业？", hits, LocalCorpus([h.chunk.text for h in hits]))


def test_markdown_has_the_answer_then_numbered_sources_with_quotes() -> None:
    text = to_markdown(answer())
    assert text.startswith("### 李明说要新增多少家企业？")
    assert "[1]" in text and "**出处：**" in text
    assert "[1] 《测试报道》，测试日报，2024-03-08，测试，市科技局局长李明：“力争全年新增高新技术企业500家。”" in text


def test_source_line_does_not_repeat_titles() -> None:
    citation = answer().citations[0]
    assert source_line(citation).count("测试报道") == 1


def test_docx_export_holds_question_answer_and_sources(tmp_path: Path) -> None:
    from docx import Document

    path = to_docx([answer(), answer()], tmp_path / "out" / "briefing.docx")
    paragraphs = [p.text for p in Document(str(path)).paragraphs]
    assert paragraphs.count("李明说要新增多少家企业？") == 2
    assert any(p.startswith("[1] 《测试报道》") and "500家" in p for p in paragraphs)
    assert conversation_markdown([answer()]).startswith("# 标杆问答摘录")
