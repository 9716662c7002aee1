"""The chat page without a browser: what ui_render shows, and the ChatHandlers on the hashing embedder."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest
from markdown_it import MarkdownIt

from app.config import Settings
from app.pipeline import Pipeline, load_pipeline
from app.schema import Answer, Citation
from app.ui import ChatHandlers, example_questions
from app.ui_render import answer_markdown, markdown_literal, source_cards, status_line
from tests.conftest import TINY_ARTICLE, make_hit

FIXED_ASSET = "发改委提出的固定资产投资目标是多少？"


class _Text(HTMLParser):
    """The text a browser shows for some HTML, the tags it would build, and the text of each <mark>."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text, self.tags, self.marks, self._in_mark = "", [], [], False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "mark":
            self._in_mark = True
            self.marks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self._in_mark = False

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._in_mark:
            self.marks[-1] += data


def rendered(markdown: str) -> _Text:
    # CommonMark with raw HTML allowed: whatever survives as a tag would reach the page as markup.
    return _Text(MarkdownIt("commonmark", {"html": True}).render(markdown))


def citation_answer(passage: str, quote: str, *, refused: bool = False, resolved: str | None = None) -> Answer:
    hit = make_hit(passage, speaker="李明", position="市科技局局长")
    start = passage.index(quote)
    citation = Citation(1, hit.chunk, quote, start, start + len(quote))
    return Answer(question="李明说了什么？", text=f"市科技局局长李明表示：“{quote}”[1]", refused=refused,
                  citations=(citation,), hits=(hit,), resolved_question=resolved)


# --- ui_render ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script><b>加粗</b>",
        "**不是粗体** _也不是斜体_ `不是代码`",
        "[1](https://example.com) ![图](x.png) [2]",
        "# 不是标题\n> 不是引用\n- 不是列表\n+ 也不是",
        "a\\b &amp; &lt; 5 > 3 | 表格 | ~删除~",
        "3. 第三条\n2. 第二条",
        "小标题\n===",
    ],
)
def test_markdown_literal_shows_text_exactly_as_written(text: str) -> None:
    page = rendered(markdown_literal(text))
    assert page.tags.count("p") == 1 and set(page.tags) <= {"p", "br"}
    assert page.text.replace("\n", "") == text.replace("\n", "")


def test_markdown_literal_escapes_html_and_markdown_syntax() -> None:
    literal = markdown_literal("<script>**[1]**")
    assert literal == r"\<script\>\*\*\[1\]\*\*"


def test_answer_markers_link_to_their_source_cards() -> None:
    answer = citation_answer("力争全年新增高新技术企业500家。", "力争全年新增高新技术企业500家。")
    markdown = answer_markdown(answer)
    assert "(#source-1-1)" in markdown
    html = MarkdownIt("commonmark").render(markdown)
    assert '<a href="#source-1-1">[1]</a>' in html


def test_answer_markdown_keeps_document_markup_literal_around_the_links() -> None:
    quote = "<b>加粗</b>*星号*"
    answer = citation_answer(f"他说{quote}。", quote)
    page = rendered(answer_markdown(answer))
    assert "b" not in page.tags and "em" not in page.tags
    assert f"“{quote}”[1]" in page.text
    assert page.tags.count("a") == 1


def test_a_bracketed_number_quoted_from_an_article_is_not_a_link() -> None:
    quote = "见附表[2]。"
    page = rendered(answer_markdown(citation_answer(f"他说{quote}", quote)))
    assert page.tags.count("a") == 1


def test_answer_markdown_shows_the_resolved_question_and_the_refusal() -> None:
    answer = citation_answer("今年3月,我市制定并印发了方案。", "今年3月,我市制定并印发了方案。", refused=True,
                             resolved="商务局提出的固定资产投资目标是多少？")
    page = rendered(answer_markdown(answer))
    assert "理解为：商务局提出的固定资产投资目标是多少？" in page.text
    assert "文章中没有找到答案" in page.text


def test_source_cards_escape_passages_and_mark_exactly_the_quote() -> None:
    passage = "市测试局负责人表示,<script>window.__pwned=1</script><b>加粗</b>测试安全文本。其他句子。"
    quote = "<b>加粗</b>测试安全文本。"
    page = _Text(source_cards(citation_answer(passage, quote)))
    assert "script" not in page.tags and "b" not in page.tags
    assert page.marks == [quote]
    assert passage in page.text
    assert "《测试报道》" in page.text and "2024-03-08" in page.text and "市科技局局长李明" in page.text
    assert "出处" in page.text


def test_source_cards_head_a_refusal_as_possibly_related() -> None:
    page = _Text(source_cards(citation_answer("今年3月,我市制定方案。", "今年3月,我市制定方案。", refused=True)))
    assert "可能相关的段落" in page.text and "出处" not in page.text


def test_source_cards_before_any_question() -> None:
    assert "提问后" in source_cards(None)


def test_status_line_counts_articles_and_passages() -> None:
    line = status_line({"counts": {"articles": 2, "chunks": 27}, "model": "hash:256", "built_at": "2024-03-08"})
    assert "2 篇文章" in line and "27 个段落" in line


# --- ChatHandlers --------------------------------------------------------------------------------


@pytest.fixture
def pipeline(hash_settings: Settings) -> Pipeline:
    return load_pipeline(hash_settings)


@pytest.fixture
def handlers(pipeline: Pipeline, tmp_path: Path) -> ChatHandlers:
    return ChatHandlers(pipeline, tmp_path / "feedback" / "feedback.jsonl")


def respond(handlers: ChatHandlers, question: str, state: tuple[Any, ...] = ([], [], [])) -> tuple[Any, ...]:
    """Run the streaming handler to its end; return (chat, sources, turns, answers, briefing, box)."""
    chat, turns, answers = state
    updates = list(handlers.respond(question, chat, turns, answers, None, None))
    assert updates, "respond yielded nothing"
    return updates[-1]


def test_respond_shows_the_answer_its_sources_and_its_briefing(handlers: ChatHandlers) -> None:
    chat, sources, turns, answers, briefing, box = respond(handlers, FIXED_ASSET)
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert "7000亿元" in chat[1]["content"] and "(#source-1-1)" in chat[1]["content"]
    assert "id='source-1-1'" in sources and "<mark>" in sources
    assert turns == [{"question": FIXED_ASSET, "resolved": FIXED_ASSET, "speakers": [c.chunk.speaker for c in answers[0].citations],
                      "quotes": [c.quote for c in answers[0].citations]}]
    assert len(answers) == 1 and answers[0].question == FIXED_ASSET
    assert "出处" in briefing and "[1]" in briefing
    assert box == ""


def test_respond_carries_the_conversation_into_a_follow_up(handlers: ChatHandlers) -> None:
    chat, _, turns, answers, _, _ = respond(handlers, FIXED_ASSET)
    chat, _, turns, answers, _, _ = respond(handlers, "那商务局呢？", (chat, turns, answers))
    assert [m["role"] for m in chat] == ["user", "assistant"] * 2
    assert "商务局" in turns[-1]["resolved"] and turns[-1]["question"] == "那商务局呢？"
    assert "理解为" in chat[-1]["content"]
    assert len(answers) == 2


def test_respond_shows_a_users_markup_literally(handlers: ChatHandlers) -> None:
    chat, *_ = respond(handlers, "<b>发改委</b>的目标？")
    assert chat[0]["content"] == markdown_literal("<b>发改委</b>的目标？")


def test_respond_to_an_empty_question_is_an_error_for_the_user(handlers: ChatHandlers) -> None:
    with pytest.raises(gr.Error, match="empty"):
        respond(handlers, "   ")


def test_ask_api_resolves_a_follow_up_from_earlier_questions(handlers: ChatHandlers) -> None:
    first = handlers.ask_api(FIXED_ASSET)
    assert "[1]" in first["answer"] and first["citations"][0]["quote"] in first["citations"][0]["passage"]
    follow_up = handlers.ask_api("那商务局呢？", [FIXED_ASSET])
    assert "商务局" in follow_up["resolved_question"]


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_thumbs_and_comments_are_appended_never_overwritten(handlers: ChatHandlers) -> None:
    chat, _, turns, answers, _, _ = respond(handlers, FIXED_ASSET)
    chat, _, turns, answers, _, _ = respond(handlers, "那商务局呢？", (chat, turns, answers))

    # Thumbs up on the second assistant message (chat index 3), down on the first (index 1).
    assert handlers.like(SimpleNamespace(index=3, liked=True), answers, "") == "已记录反馈，谢谢。"
    first_line = read_lines(handlers.feedback_path)
    handlers.like(SimpleNamespace(index=[1, 0], liked=False), answers, "数字不全")
    assert handlers.comment(answers, "  很有用  ") == ("已记录意见，谢谢。", "")

    lines = read_lines(handlers.feedback_path)
    assert len(lines) == 3 and lines[0] == first_line[0]
    records = [json.loads(line) for line in lines]
    assert [(r["liked"], r["question"]) for r in records] == [
        (True, "那商务局呢？"), (False, FIXED_ASSET), (None, "那商务局呢？")]
    assert records[1]["comment"] == "数字不全" and records[2]["comment"] == "很有用"
    assert records[0]["citations"] == [c.chunk.id for c in answers[1].citations]


def test_a_comment_before_any_question_is_not_recorded(handlers: ChatHandlers) -> None:
    assert handlers.comment([], "你好") == ("先提问，再写下意见。", "你好")
    assert not handlers.feedback_path.exists()


def test_export_writes_the_conversation_as_markdown_and_word(handlers: ChatHandlers) -> None:
    from docx import Document

    chat, _, turns, answers, _, _ = respond(handlers, FIXED_ASSET)
    chat, _, turns, answers, _, _ = respond(handlers, "那商务局呢？", (chat, turns, answers))
    markdown = Path(handlers.export(answers, "md"))
    assert markdown.suffix == ".md"
    text = markdown.read_text(encoding="utf-8")
    assert FIXED_ASSET in text and "那商务局呢？" in text and "7000亿元" in text
    word = Path(handlers.export(answers, "docx"))
    assert word.suffix == ".docx"
    paragraphs = [p.text for p in Document(str(word)).paragraphs]
    assert FIXED_ASSET in paragraphs and "那商务局呢？" in paragraphs


def test_export_before_any_question_is_an_error_for_the_user(handlers: ChatHandlers) -> None:
    with pytest.raises(gr.Error, match="还没有可导出的问答"):
        handlers.export([], "md")


def upload(tmp_path: Path, name: str, data: bytes) -> str:
    folder = tmp_path / "uploads"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    return str(folder / name)


def test_an_uploaded_article_is_saved_and_indexed(handlers: ChatHandlers, hash_settings: Settings, tmp_path: Path) -> None:
    table, message, choices = handlers.add_files([upload(tmp_path, "kejiju.txt", TINY_ARTICLE.encode("utf-8"))])
    assert (hash_settings.seeds_dir / "kejiju.txt").read_text(encoding="utf-8") == TINY_ARTICLE
    assert "已添加 1 个文件" in message and "新增 1" in message
    assert "kejiju.txt" in [row[-1] for row in table]
    assert "kejiju.txt" in choices["choices"]
    hits = handlers.pipeline.retrieve("市科技局要新增多少家高新技术企业", k=1)
    assert hits[0].chunk.source == "kejiju.txt"
    assert "3 篇文章" in handlers.status()


def test_a_binary_upload_is_reported_as_skipped(handlers: ChatHandlers, tmp_path: Path) -> None:
    before = [a["source"] for a in handlers.pipeline.index.articles]
    _, message, choices = handlers.add_files([upload(tmp_path, "scan.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)])
    assert re.search(r"未添加：scan\.txt：.*binary", message)
    assert [a["source"] for a in handlers.pipeline.index.articles] == before
    assert not (handlers.pipeline.settings.seeds_dir / "scan.txt").exists()  # a rejected upload never enters the seeds
    assert "scan.txt" not in choices["choices"]


def test_an_unsupported_upload_is_refused(handlers: ChatHandlers, hash_settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(gr.Error, match="不支持的文件"):
        handlers.add_files([upload(tmp_path, "report.pdf", b"%PDF-1.7")])
    assert not (hash_settings.seeds_dir / "report.pdf").exists()


def test_removing_an_article_keeps_its_file_and_drops_it_from_the_index(
    handlers: ChatHandlers, hash_settings: Settings, tmp_path: Path
) -> None:
    handlers.add_files([upload(tmp_path, "kejiju.txt", TINY_ARTICLE.encode("utf-8"))])
    table, message, choices = handlers.remove("kejiju.txt")
    assert not (hash_settings.seeds_dir / "kejiju.txt").exists()
    kept = list((hash_settings.seeds_dir / ".removed").glob("*kejiju.txt"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == TINY_ARTICLE
    assert "已移除 kejiju.txt" in message
    assert "kejiju.txt" not in [row[-1] for row in table] and "kejiju.txt" not in choices["choices"]
    assert all(h.chunk.source != "kejiju.txt" for h in handlers.pipeline.retrieve("市科技局要新增多少家高新技术企业", k=5))


def test_remove_only_touches_files_inside_the_seeds_folder(handlers: ChatHandlers, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("不要动", encoding="utf-8")
    with pytest.raises(gr.Error, match="找不到文件"):
        handlers.remove("../secret.txt")
    assert outside.read_text(encoding="utf-8") == "不要动"


def test_example_questions_name_people_in_the_articles(pipeline: Pipeline) -> None:
    questions = example_questions(pipeline)
    speakers = {c.speaker for c in pipeline.index.chunks if c.speaker}
    assert questions and any(name in q for q in questions for name in speakers)


def test_old_exports_are_removed_and_recent_ones_kept(handlers: ChatHandlers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import tempfile

    from app import ui

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old = tmp_path / f"{ui.EXPORT_PREFIX}old"
    old.mkdir()
    (old / "biaogan.md").write_text("x", encoding="utf-8")
    recent = tmp_path / f"{ui.EXPORT_PREFIX}recent"
    recent.mkdir()
    stale = os.stat(old).st_mtime - ui.EXPORT_KEEP_S - 60
    os.utime(old, (stale, stale))
    _, _, _, answers, _, _ = respond(handlers, FIXED_ASSET)
    fresh = Path(handlers.export(answers, "md"))
    assert not old.exists() and recent.exists() and fresh.exists() and fresh.parent.parent == tmp_path
