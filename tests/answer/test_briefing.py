from __future__ import annotations

from pathlib import Path

from app.answer.briefing import conversation_markdown, source_line, to_docx, to_markdown, to_text
from tests.conftest import make_hit


def answer():  # type: ignore[no-untyped-def]
    """An answer built by hand (not by the answerer), so these tests do not depend on what other tests
    taught the tokenizer."""
    from app.schema import Answer, Citation

    quote = "力争全年新增高新技术企业500家。"
    hit = make_hit(quote, speaker="李明", position="市科技局局长")
    return Answer(question="李明说要新增多少家企业？", text=f"市科技局局长李明表示：“{quote}”[1]", refused=False,
                  citations=(Citation(1, hit.chunk, quote, 0, len(quote)),), hits=(hit,))


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
    assert any(p.startswith("[1] 《测试报道》") for p in paragraphs) and any("500家" in p for p in paragraphs)
    assert conversation_markdown([answer()]).startswith("# 标杆问答摘录")


# --- escaping, A4 and CJK fonts, sources once --------------------------------------------------

from app.schema import Answer, Citation  # noqa: E402

HOSTILE = "他说<script>alert(1)</script>[点此](javascript:alert(2))，见<javascript:alert(3)>和![图](javascript:x)。"


def hostile_answer(refused: bool = False) -> Answer:
    hit = make_hit(HOSTILE, speaker="李明", position="市科技局局长")
    citation = Citation(1, hit.chunk, HOSTILE, 0, len(HOSTILE))
    return Answer(question="李明说了什么？", text=f"李明表示：“{HOSTILE}”[1]", refused=refused, citations=(citation,), hits=(hit,))


def test_markdown_export_shows_article_html_and_links_as_text() -> None:
    from markdown_it import MarkdownIt

    text = conversation_markdown([hostile_answer()])
    page = MarkdownIt("commonmark", {"html": True}).render(text)
    assert "<script" not in page and "<a " not in page and "<img" not in page and 'href="javascript' not in page
    assert "alert(1)" in page and "javascript:alert(2)" in page  # still there, as text


def test_a_link_definition_in_an_article_does_not_turn_citation_markers_into_links() -> None:
    from markdown_it import MarkdownIt

    from app.answer.briefing import markdown_escape

    page = MarkdownIt("commonmark", {"html": True}).render(markdown_escape("答案[1]\n[1]: javascript:alert(4)"))
    assert "<a " not in page and "答案[1]" in page


def test_markdown_escape_keeps_list_and_heading_syntax_literal() -> None:
    from markdown_it import MarkdownIt

    from app.answer.briefing import markdown_escape

    for line in ("# 不是标题", "- 不是列表", "3. 第三条", "小标题\n===", "> 不是引用", "`代码`"):
        html = MarkdownIt("commonmark", {"html": True}).render(markdown_escape(line))
        assert html.count("<p>") == 1 and not any(t in html for t in ("<h1", "<h2", "<ul", "<ol", "<blockquote", "<code"))


def test_docx_is_a4_with_an_east_asian_font_on_every_run(tmp_path: Path) -> None:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm

    document = Document(str(to_docx([answer()], tmp_path / "a.docx")))
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    runs = [run for p in document.paragraphs for run in p.runs]
    assert runs and all(run._element.rPr.rFonts.get(qn("w:eastAsia")) for run in runs)


def test_docx_sources_do_not_repeat_the_quote(tmp_path: Path) -> None:
    from docx import Document

    paragraphs = [p.text for p in Document(str(to_docx([answer()], tmp_path / "a.docx"))).paragraphs]
    sources = [p for p in paragraphs if p.startswith("[1] ")]
    assert sources == ["[1] 《测试报道》，测试日报，2024-03-08，测试，市科技局局长李明"]
    assert sum("500家" in p for p in paragraphs) == 1  # only in the answer


def test_a_refusals_possibly_related_passages_are_listed_once(tmp_path: Path) -> None:
    from docx import Document

    refused = hostile_answer(refused=True)
    refused = Answer(question="火星上有什么？", text="文章中没有找到关于“火星”的信息。\n可能相关：\n[1] 市科技局局长李明：他说", refused=True,
                     citations=refused.citations, hits=refused.hits)
    paragraphs = [p.text for p in Document(str(to_docx([refused], tmp_path / "r.docx"))).paragraphs]
    assert sum("可能相关" in p for p in paragraphs) == 1
    assert sum(p.startswith("1. 《测试报道》") for p in paragraphs) == 1 and not any(p.startswith("[1]") for p in paragraphs)
    for text in (to_markdown(refused), to_text(refused)):
        assert text.count("可能相关") == 1 and "[1] 市科技局局长李明" not in text


def test_the_plain_text_briefing_has_no_markdown() -> None:
    text = to_text(answer())
    assert text.startswith("问：李明说要新增多少家企业？\n")
    assert "出处：\n[1] 《测试报道》" in text
    assert not any(mark in text for mark in ("###", "**", "\\", "](#"))
