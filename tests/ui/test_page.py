"""The chat page without a browser: what ui_render shows, and the ChatHandlers on the hashing embedder."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest
from markdown_it import MarkdownIt

from app.answer.briefing import to_text
from app.config import Settings
from app.pipeline import Pipeline, load_pipeline
from app.schema import Answer, Citation
from app.ui.conversations import ConversationStore
from app.ui.page import PENDING, ChatHandlers, example_questions
from app.ui.render import answer_markdown, markdown_literal, source_cards, status_line
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


def refusal_answer(related: int) -> Answer:
    hits = [make_hit(f"第{i}段第一句。第{i}段第二句很长很长。", rank=i, speaker="李明", position="市科技局局长") for i in range(1, related + 1)]
    citations = tuple(Citation(i, h.chunk, f"第{i}段第一句。", 0, len(f"第{i}段第一句。")) for i, h in enumerate(hits, start=1))
    text = "\n".join(["文章中没有找到关于“火星”的信息。", "可能相关："] + [f"[{c.n}] {c.quote}" for c in citations])
    return Answer(question="火星上有什么？", text=text, refused=True, citations=citations, hits=tuple(hits))


def test_a_refusal_is_its_message_then_at_most_three_collapsed_related_lines_never_marked() -> None:
    answer = refusal_answer(5)
    for html_text in (source_cards(answer), answer_markdown(answer)):
        page = _Text(html_text)
        assert page.marks == [] and "mark" not in page.tags
        assert page.tags.count("li") == 3 and "details" in page.tags
        assert "<details open" not in html_text  # collapsed until asked for
        assert "《测试报道》 · 市科技局局长李明：第1段第一句。" in page.text
        assert "第1段第二句" not in page.text  # one short line: the first sentence only
    chat = rendered(answer_markdown(answer).split("<details")[0])
    assert "文章中没有找到关于“火星”的信息。" in chat.text and "可能相关：" not in chat.text and "[1]" not in chat.text


def test_source_cards_before_any_question() -> None:
    assert "提问后" in source_cards(None)


def test_footer_names_articles_and_local_update_time_with_the_model_only_in_the_tooltip() -> None:
    line = status_line({"counts": {"articles": 2, "chunks": 27}, "model": "hash:256", "built_at": "2024-03-08T10:00:00+00:00"})
    page = _Text(line)
    assert page.text.startswith("已收录 2 篇文章 · 更新于 2024-03-08")
    assert "hash:256" not in page.text and "hash:256" in line  # title attribute
    assert "+00:00" not in page.text and "T10" not in page.text


def two_quotes_one_passage() -> Answer:
    passage = "他说：第一句话。中间的话。第二句话。"
    hit = make_hit(passage, speaker="李明", position="市科技局局长")
    quotes = ["第一句话。", "第二句话。"]
    citations = tuple(Citation(n, hit.chunk, q, passage.index(q), passage.index(q) + len(q)) for n, q in enumerate(quotes, start=1))
    return Answer(question="李明说了什么？", text="李明表示：“第一句话。”[1]“第二句话。”[2]", refused=False,
                  citations=citations, hits=(hit,))


def test_two_quotes_from_one_passage_are_one_card_with_both_marked_and_both_numbers_open_it() -> None:
    cards = source_cards(two_quotes_one_passage(), 3)
    page = _Text(cards)
    assert cards.count("class='bg-card'") == 1
    assert page.marks == ["第一句话。", "第二句话。"]
    assert "id='source-3-1'" in cards and "id='source-3-2'" in cards  # [2] is an anchor inside the same card


def test_the_copy_of_an_answer_is_clean_text_without_markdown_or_anchors() -> None:
    answer = citation_answer("力争全年新增高新技术企业500家。", "力争全年新增高新技术企业500家。", resolved="李明说了什么？（科技局）")
    message = answer_markdown(answer, 2)
    copied = html.unescape(re.search(r"<pre class='bg-plain'>(.*?)</pre>", message, re.S).group(1))
    assert copied == to_text(answer)
    for junk in ("#source", "\\[", "*", "**", "###", "<", "](", "理解为：*"):
        assert junk not in copied, junk
    assert "“力争全年新增高新技术企业500家。”[1]" in copied
    assert "出处：\n[1] 《测试报道》，测试日报，2024-03-08，测试，市科技局局长李明：“力争全年新增高新技术企业500家。”" in copied


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
    assert "id='source-1-1'" in sources and "<mark" in sources
    assert turns == [{"question": FIXED_ASSET, "resolved": FIXED_ASSET, "speakers": [c.chunk.speaker for c in answers[0].citations],
                      "quotes": [c.quote for c in answers[0].citations]}]
    assert len(answers) == 1 and answers[0].question == FIXED_ASSET
    assert "出处：" in briefing and "[1]" in briefing and "**" not in briefing
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
    page = rendered(chat[0]["content"])
    assert page.text.strip() == "<b>发改委</b>的目标？" and "b" not in page.tags


def test_respond_to_an_empty_question_is_an_error_for_the_user(handlers: ChatHandlers) -> None:
    with pytest.raises(gr.Error, match="问题是空的"):
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
    shown = handlers.like(SimpleNamespace(index=3, liked=True), answers, "", chat)
    first_line = read_lines(handlers.feedback_path)
    handlers.like(SimpleNamespace(index=[1, 0], liked=False), answers, "数字不全", shown)
    assert handlers.comment(answers, "  很有用  ") == ("已记录意见，谢谢。", "")

    lines = read_lines(handlers.feedback_path)
    assert len(lines) == 3 and lines[0] == first_line[0]
    records = [json.loads(line) for line in lines]
    assert [(r["liked"], r["question"]) for r in records] == [
        (True, "那商务局呢？"), (False, FIXED_ASSET), (None, "那商务局呢？")]
    assert records[1]["comment"] == "数字不全" and records[2]["comment"] == "很有用"
    assert records[0]["citations"] == [c.chunk.id for c in answers[1].citations]


def test_a_thumb_is_acknowledged_under_the_answer_it_was_given_to(handlers: ChatHandlers) -> None:
    chat, _, turns, answers, _, _ = respond(handlers, FIXED_ASSET)
    chat, _, turns, answers, _, _ = respond(handlers, "那商务局呢？", (chat, turns, answers))
    shown = handlers.like(SimpleNamespace(index=1, liked=True), answers, "", chat)
    acknowledged = [i for i, m in enumerate(shown) if "已记录反馈" in m["content"]]
    assert acknowledged == [1]
    again = handlers.like(SimpleNamespace(index=1, liked=False), answers, "", shown)
    assert again[1]["content"].count("已记录反馈") == 1


def test_feedback_that_cannot_be_saved_is_a_clear_error_on_the_page(handlers: ChatHandlers, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import gradio as gr

    from app.ui import page as ui
    from app.ui.feedback import FeedbackNotSaved

    def full_disk(path, record):  # type: ignore[no-untyped-def]
        raise FeedbackNotSaved("could not save the feedback (No space left on device)")

    monkeypatch.setattr(ui, "append_feedback", full_disk)
    chat, _, turns, answers, _, _ = respond(handlers, FIXED_ASSET)
    with pytest.raises(gr.Error, match="No space left"):
        handlers.comment(answers, "很有用")


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
    message = handlers.add_files([upload(tmp_path, "kejiju.txt", TINY_ARTICLE.encode("utf-8"))])
    assert (hash_settings.seeds_dir / "kejiju.txt").read_text(encoding="utf-8") == TINY_ARTICLE
    assert "已添加 1 篇" in message and "3 篇文章" in message
    assert "kejiju.txt" in [row[-1] for row in handlers.article_table()]
    hits = handlers.pipeline.retrieve("市科技局要新增多少家高新技术企业", k=1)
    assert hits[0].chunk.source == "kejiju.txt"
    assert "已收录 3 篇文章" in handlers.status()


def test_a_binary_upload_is_refused_by_name_and_nothing_is_written(handlers: ChatHandlers, tmp_path: Path) -> None:
    before = [a["source"] for a in handlers.pipeline.index.articles]
    with pytest.raises(gr.Error, match=r"scan\.txt：.*binary"):
        handlers.add_files([upload(tmp_path, "scan.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)])
    assert [a["source"] for a in handlers.pipeline.index.articles] == before
    assert not (handlers.pipeline.settings.seeds_dir / "scan.txt").exists()


def test_an_unsupported_upload_is_refused(handlers: ChatHandlers, hash_settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(gr.Error, match="不支持的文件"):
        handlers.add_files([upload(tmp_path, "report.pdf", b"%PDF-1.7")])
    assert not (hash_settings.seeds_dir / "report.pdf").exists()


def test_the_removal_list_names_articles_by_headline_date_and_file(handlers: ChatHandlers) -> None:
    choices = handlers.article_choices()
    articles = handlers.pipeline.index.articles
    assert [value for _, value in choices] == [a["source"] for a in articles]
    label = choices[0][0]
    assert label.startswith(f"《{articles[0]['title']}》") and articles[0]["source"] in label and (articles[0]["date"] or "日期不详") in label


def test_removal_is_confirmed_by_a_question_naming_the_article(handlers: ChatHandlers) -> None:
    article = handlers.pipeline.index.articles[0]
    question = handlers.plan_removal(article["source"])
    assert f"《{article['title']}》" in question and "确认移除" in question
    assert (handlers.pipeline.settings.seeds_dir / article["source"]).exists()  # asking removes nothing
    with pytest.raises(gr.Error, match="没有选择文章"):
        handlers.plan_removal(None)


def test_an_upload_replacing_an_article_is_confirmed_first(handlers: ChatHandlers, hash_settings: Settings, tmp_path: Path) -> None:
    source = handlers.pipeline.index.articles[0]["source"]
    old = (hash_settings.seeds_dir / source).read_bytes()
    action, question = handlers.plan_upload([upload(tmp_path, source, TINY_ARTICLE.encode("utf-8"))])
    assert action == "replace" and f"《{handlers.pipeline.index.articles[0]['title']}》" in question
    assert (hash_settings.seeds_dir / source).read_bytes() == old


def test_removing_an_article_keeps_its_file_and_drops_it_from_the_index(
    handlers: ChatHandlers, hash_settings: Settings, tmp_path: Path
) -> None:
    handlers.add_files([upload(tmp_path, "kejiju.txt", TINY_ARTICLE.encode("utf-8"))])
    message = handlers.remove("kejiju.txt")
    assert not (hash_settings.seeds_dir / "kejiju.txt").exists()
    kept = list((hash_settings.seeds_dir / ".removed").glob("*kejiju.txt"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == TINY_ARTICLE
    assert "已移除《测试日报·专题》" in message and str(hash_settings.seeds_dir) not in message
    assert "kejiju.txt" not in [row[-1] for row in handlers.article_table()]
    assert all(h.chunk.source != "kejiju.txt" for h in handlers.pipeline.retrieve("市科技局要新增多少家高新技术企业", k=5))


def test_remove_only_touches_files_inside_the_seeds_folder(handlers: ChatHandlers, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("不要动", encoding="utf-8")
    with pytest.raises(gr.Error, match="不在列表中"):
        handlers.remove("../secret.txt")
    assert outside.read_text(encoding="utf-8") == "不要动"


# --- waiting, conversations ------------------------------------------------------------------------


def test_the_question_shows_at_once_with_a_placeholder_and_the_answer_replaces_it(handlers: ChatHandlers) -> None:
    shown, box, sent, conversation = handlers.start(FIXED_ASSET, [], None)
    assert [m["content"] for m in shown] == [markdown_literal(FIXED_ASSET), PENDING] and box == "" and sent == FIXED_ASSET
    assert conversation
    # gradio hands the chat back as lists of parts
    as_sent = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]} for m in shown]
    chat, *_ = list(handlers.respond(sent, as_sent, [], [], None, None, conversation))[-1]
    assert [m["role"] for m in chat] == ["user", "assistant"] and PENDING not in chat[1]["content"]
    assert "7000亿元" in chat[1]["content"]  # the answer took the placeholder's place


def test_an_empty_question_never_shows_a_placeholder(handlers: ChatHandlers) -> None:
    shown, _, sent, _ = handlers.start("  ", [], None)
    assert shown == []
    with pytest.raises(gr.Error, match="问题是空的"):
        list(handlers.respond(sent, shown, [], [], None, None))


def test_every_answer_keeps_its_own_sources(handlers: ChatHandlers) -> None:
    chat, _, turns, answers, _, _ = respond(handlers, FIXED_ASSET)
    chat, sources, turns, answers, briefing, _ = respond(handlers, "那商务局呢？", (chat, turns, answers))
    assert "(#source-1-1)" in chat[1]["content"] and "(#source-2-1)" in chat[3]["content"]
    assert "id='source-1-1'" in sources and "id='source-2-1'" in sources
    assert sources.index("id='source-2-1'") < sources.index("id='source-1-1'")  # the latest answer's sources first
    # The briefing covers the whole conversation, as plain text.
    assert FIXED_ASSET in briefing and "那商务局呢？" in briefing and "###" not in briefing and "**" not in briefing


def test_a_new_conversation_forgets_the_earlier_turns(handlers: ChatHandlers) -> None:
    respond(handlers, FIXED_ASSET)
    chat, sources, turns, answers, briefing, box, conversation, exported = handlers.new_conversation()
    assert (chat, turns, answers, briefing, conversation, exported) == ([], [], [], "", None, None) and "提问后" in sources
    chat, _, turns, _, _, _ = respond(handlers, "那商务局呢？", (chat, turns, answers))
    assert "理解为" not in chat[1]["content"]


def test_conversations_are_kept_listed_and_reopened_after_a_restart(pipeline: Pipeline, tmp_path: Path) -> None:
    store_path = tmp_path / "kept" / "conversations.sqlite3"
    handlers = ChatHandlers(pipeline, tmp_path / "feedback.jsonl", ConversationStore(store_path))
    _, _, _, conversation = handlers.start(FIXED_ASSET, [], None)
    chat, _, turns, answers, _, _ = list(handlers.respond(FIXED_ASSET, [], [], [], None, None, conversation))[-1]
    list(handlers.respond("那商务局呢？", chat, turns, answers, None, None, conversation))

    restarted = ChatHandlers(pipeline, tmp_path / "feedback.jsonl", ConversationStore(store_path))
    [(label, kept)] = restarted.history_choices()
    assert kept == conversation and FIXED_ASSET[:10] in label and "2 问" in label
    chat, sources, turns, answers, briefing, _, reopened, _ = restarted.open_conversation(kept)
    assert reopened == conversation and [a.question for a in answers] == [FIXED_ASSET, "那商务局呢？"]
    assert "商务局" in turns[1]["resolved"] and "id='source-2-1'" in sources and "7000亿元" in chat[1]["content"]
    assert "7000亿元" in Path(restarted.export(answers, "md")).read_text(encoding="utf-8")


def test_example_questions_name_people_in_the_articles(pipeline: Pipeline) -> None:
    questions = example_questions(pipeline)
    speakers = {c.speaker for c in pipeline.index.chunks if c.speaker}
    named = [(q, next(name for name in speakers if name in q)) for q in questions if any(name in q for name in speakers)]
    assert len(named) >= 2
    # An example a user clicks is answered, from the person it names.
    for question, name in named:
        answer = pipeline.ask(question)
        assert not answer.refused and answer.citations and all(c.chunk.speaker == name for c in answer.citations), question


def test_old_exports_are_removed_and_recent_ones_kept(handlers: ChatHandlers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import tempfile

    from app.ui import page as ui

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


def test_the_page_is_built_with_chinese_labels_for_english_browsers_and_no_markdown_copy_button(handlers: ChatHandlers) -> None:
    from app.ui.layout import I18N, launch_options, layout

    for locale in ("en", "en-US", "fr", "zh-CN"):
        labels = I18N.translations_dict[locale]
        assert labels["upload_text.drop_file"] == "将文件拖放到此处" and labels["errors.use_via_api"] == "通过 API 使用"
        assert labels["chatbot.clear"] == "新对话"
    assert launch_options()["i18n"] is I18N and "bgCopyText" in launch_options()["head"]
    demo = layout(handlers, ["示例？"])
    [chatbot] = [b for b in demo.blocks.values() if isinstance(b, gr.Chatbot)]
    assert "copy" not in (chatbot.buttons or [])  # gradio's copy would give the Markdown source with anchors
    removal = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "bg-remove-choice")
    assert removal.value in (None, "", [])  # nothing preselected


def test_a_question_over_the_servers_limit_stays_in_the_box_and_is_refused_in_chinese(handlers: ChatHandlers) -> None:
    # The box accepts 2,000 characters; the server answers at most max_question_chars (500). `start`
    # keeps the question in the box and adds nothing to the chat; respond (queued, so its error is shown
    # on the page) refuses it in Chinese and leaves no 正在检索… behind.
    limit = handlers.pipeline.settings.max_question_chars
    earlier = [{"role": "user", "content": "问"}, {"role": "assistant", "content": "答"}]
    shown, box, sent, _ = handlers.start("问" * (limit + 1), earlier, None)
    assert shown == earlier and box == sent == "问" * (limit + 1)
    updates = handlers.respond(sent, shown, [], [], None, None)
    assert next(updates)[0] == earlier
    with pytest.raises(gr.Error, match=f"问题有 {limit + 1} 个字，超过了 {limit} 个字的上限"):
        next(updates)
    shown, box, sent, _ = handlers.start("问" * limit, [], None)
    assert box == "" and sent == "问" * limit and shown[-1]["content"] == PENDING


def test_respond_that_fails_takes_its_pending_placeholder_off_the_chat(handlers: ChatHandlers) -> None:
    pending = [{"role": "user", "content": "问"}, {"role": "assistant", "content": PENDING}]
    updates = handlers.respond("问" * 2000, pending, [], [], None, None)
    chat, *_ = next(updates)
    assert chat == []
    with pytest.raises(gr.Error, match="上限"):
        next(updates)
