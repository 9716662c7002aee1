"""The chat page: build_ui(pipeline) -> gradio Blocks. Formatting and wiring only; corpus changes go
through app.corpus, kept conversations through app.ui.conversations."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from app.answer.briefing import conversation_markdown, conversation_text, to_docx
from app.answer.followup import Turn
from app.corpus import CorpusService, Progress, Upload
from app.errors import BiaoganError
from app.limits import DeadlineExceeded, check_api_request
from app.schema import Answer, Filters
from app.text import name_pinyin
from app.ui.conversations import ConversationStore
from app.ui.feedback import append_feedback
from app.ui.render import answer_markdown, article_label, article_rows, markdown_literal, sources_pane, status_line

log = logging.getLogger(__name__)

PENDING = "正在检索…"
ACK = "<div class='bg-feedback-ack'>✓ 已记录反馈，谢谢</div>"


def example_questions(pipeline) -> list[str]:  # type: ignore[no-untyped-def]
    """A few questions built from who speaks in the indexed articles."""
    people = {c.speaker: c.department for c in pipeline.index.people() if c.speaker and c.department}
    names = list(people)[:3]
    questions = [f"{name}提到了哪些具体目标？" for name in names[:2]]
    questions += [f"{people[name]}下一步要做什么？" for name in names[2:3]]
    if names:
        questions.append(f"What did {' '.join(name_pinyin(names[0]).split()[:2]).title()} say?")
    return questions or ["这些文章主要讲了什么？"]


def _release_memory() -> None:
    """Hand freed heap back to the system after an answer, so a long-running server's RSS stays flat."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name:
        ctypes.CDLL(name).malloc_trim(0)


def _error(exc: BiaoganError):  # type: ignore[no-untyped-def]
    import gradio as gr

    return gr.Error(f"{exc.message}（{exc.hint}）" if exc.hint else exc.message)


def gr_error(message: str):  # type: ignore[no-untyped-def]
    import gradio as gr

    return gr.Error(message)


def _question_error(message: str, limit: int):  # type: ignore[no-untyped-def]
    """The page's own (Chinese) message for a question it cannot send: empty, or over the server's limit."""
    import gradio as gr

    size = len((message or "").strip())
    if size > limit:
        return gr.Error(f"问题有 {size} 个字，超过了 {limit} 个字的上限（请缩短问题后再问）")
    return gr.Error("问题是空的（请输入一个问题，例如：发改委提出的固定资产投资目标是多少？）")


EXPORT_PREFIX = "biaogan-export-"
EXPORT_KEEP_S = 3600  # an export is downloaded at once; older ones are removed at the next export


def _prune_exports(now: float | None = None) -> None:
    """Remove export folders older than EXPORT_KEEP_S, so a long-running server does not fill /tmp."""
    cutoff = (now or time.time()) - EXPORT_KEEP_S
    for folder in Path(tempfile.gettempdir()).glob(EXPORT_PREFIX + "*"):
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def chat_messages(answers: list[Answer]) -> list[dict[str, Any]]:
    """The chat as the page shows it, rebuilt from the answers (to reopen a kept conversation)."""
    chat: list[dict[str, Any]] = []
    for turn, answer in enumerate(answers, start=1):
        chat += [{"role": "user", "content": markdown_literal(answer.question)},
                 {"role": "assistant", "content": answer_markdown(answer, turn)}]
    return chat


def _text(message: dict[str, Any]) -> str:
    """A chat message's text, whether given as a string or (as gradio hands it back) a list of parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


def _without_pending(chat: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The chat without the question and 正在检索… placeholder that `start` put at its end."""
    chat = [{"role": m.get("role"), "content": _text(m)} for m in chat or []]
    if chat and chat[-1]["role"] == "assistant" and chat[-1]["content"] == PENDING:
        return chat[:-2]
    return chat


class ChatHandlers:
    """Event handlers around the live pipeline (app.corpus swaps it when the index changes)."""

    def __init__(self, pipeline, feedback_path: Path, conversations: ConversationStore | None = None,  # type: ignore[no-untyped-def]
                 corpus: CorpusService | None = None) -> None:
        self.corpus = corpus or CorpusService(pipeline)
        self.feedback_path = feedback_path
        self.conversations = conversations or ConversationStore(None)

    @property
    def pipeline(self):  # type: ignore[no-untyped-def]
        return self.corpus.pipeline

    def filters(self, articles: list[str] | None, speakers: list[str] | None) -> Filters:
        by_title = {a["title"]: a["id"] for a in self.pipeline.index.articles}
        return Filters(tuple(by_title[t] for t in articles or [] if t in by_title), tuple(speakers or ()))

    def start(self, message: str, chat: list[dict[str, Any]], conversation: str | None) -> tuple[Any, ...]:
        """Show the question at once with a 正在检索… placeholder; clear the box; name the conversation."""
        from app.pipeline import clean_question

        try:
            clean_question(message, self.pipeline.settings.max_question_chars)  # the limit respond and /ask apply
        except BiaoganError:
            # The question stays in the box and nothing is added to the chat. Not raised here: an error
            # of this unqueued step shows no message on the page; respond, which runs next, says why.
            return _without_pending(chat), message, message, conversation
        shown = _without_pending(chat) + [{"role": "user", "content": markdown_literal(message)},
                                          {"role": "assistant", "content": PENDING}]
        return shown, "", message, conversation or self.conversations.new_id()

    def respond(self, message: str, chat: list[dict[str, Any]], turns: list[dict[str, Any]], answers: list[Answer],
                articles: list[str] | None, speakers: list[str] | None, conversation: str | None = None):  # type: ignore[no-untyped-def]
        """Stream the answer into the chat, then show every answer's sources, the briefing, and keep the turn."""
        from app.pipeline import clean_question

        limit = self.pipeline.settings.max_question_chars
        try:
            clean_question(message, limit)
        except BiaoganError:
            yield _without_pending(chat), sources_pane(answers), turns, answers, conversation_text(answers), ""
            raise _question_error(message, limit) from None
        history = [Turn(t["question"], t["resolved"], tuple(t["speakers"]), tuple(t.get("quotes", ()))) for t in turns]
        chat = _without_pending(chat) + [{"role": "user", "content": markdown_literal(message or "")}, {"role": "assistant", "content": PENDING}]
        try:
            for text, final in self.pipeline.stream(message, history=history, filters=self.filters(articles, speakers)):
                if final is None:
                    chat[-1] = {"role": "assistant", "content": markdown_literal(text)}
                    yield chat, sources_pane(answers), turns, answers, conversation_text(answers), ""
        except BiaoganError as exc:
            # No answer (a deadline, an input error): take the question and its 正在检索… off the chat,
            # which would otherwise look as if it were still being answered; the error says why.
            yield chat[:-2], sources_pane(answers), turns, answers, conversation_text(answers), ""
            if isinstance(exc, DeadlineExceeded):
                raise gr_error(f"回答用时超过 {exc.seconds:g} 秒，已停止（请把问题问得更具体一些，或稍后再试）") from None
            raise _error(exc) from None
        _release_memory()
        turn = len(answers) + 1
        chat[-1] = {"role": "assistant", "content": answer_markdown(final, turn)}
        ended = Turn.of(final)
        turns = turns + [{"question": ended.question, "resolved": ended.resolved, "speakers": list(ended.speakers),
                          "quotes": list(ended.quotes)}]
        answers = answers + [final]
        if conversation:
            self.conversations.add_turn(conversation, final)
        yield chat, sources_pane(answers), turns, answers, conversation_text(answers), ""

    def ask_api(self, question: str, history: list[str] | None = None) -> dict[str, Any]:
        """API: answer a question (earlier questions of the conversation optional) with its citations.
        Sizes are checked before any work; earlier questions are resolved, never answered again."""
        settings = self.pipeline.settings
        try:
            earlier = check_api_request(question, history, max_question=settings.max_question_chars,
                                        max_items=settings.max_history_items, max_item=settings.max_history_item_chars)
            deadline = self.pipeline.deadline()
            answer = self.pipeline.ask(question, history=self.pipeline.earlier_turns(earlier, deadline), deadline=deadline)
            self.pipeline.remember(earlier, question, answer)
            return answer.to_dict()
        except BiaoganError as exc:
            raise _error(exc) from None
        finally:
            _release_memory()

    # --- conversations ---------------------------------------------------------------------------

    def new_conversation(self) -> tuple[Any, ...]:
        """(chat, sources, turns, answers, briefing, box, conversation, exported file): all empty."""
        return [], sources_pane([]), [], [], "", "", None, None

    def open_conversation(self, conversation: str | None) -> tuple[Any, ...]:
        """A kept conversation back on the page, to read, export or continue."""
        answers = self.conversations.answers(conversation) if conversation else []
        if not answers:
            return self.new_conversation()
        turns = [Turn.of(a) for a in answers]
        turn_dicts = [{"question": t.question, "resolved": t.resolved, "speakers": list(t.speakers), "quotes": list(t.quotes)}
                      for t in turns]
        return (chat_messages(answers), sources_pane(answers), turn_dicts, answers, conversation_text(answers), "",
                conversation, None)

    def history_choices(self) -> list[tuple[str, str]]:
        return [(s.label, s.id) for s in self.conversations.recent()]

    # --- feedback --------------------------------------------------------------------------------

    def like(self, data, answers: list[Answer], comment: str, chat: list[dict[str, Any]] | None = None):  # type: ignore[no-untyped-def]
        """Record a thumb; the acknowledgement is written under the answer it is about."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        answer = answers[index // 2] if 0 <= index // 2 < len(answers) else None
        self._save(answer, bool(data.liked), comment)
        chat = [{"role": m.get("role"), "content": _text(m)} for m in chat or []]
        if 0 <= index < len(chat):
            chat[index]["content"] = chat[index]["content"].replace("\n\n" + ACK, "") + "\n\n" + ACK
        return chat

    def comment(self, answers: list[Answer], comment: str) -> tuple[str, str]:
        if not answers or not (comment or "").strip():
            return "先提问，再写下意见。", comment
        self._save(answers[-1], None, comment)
        return "已记录意见，谢谢。", ""

    def _save(self, answer: Answer | None, liked: bool | None, comment: str) -> None:
        try:
            append_feedback(self.feedback_path, {
                "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "liked": liked, "comment": (comment or "").strip(),
                "question": answer.question if answer else None, "resolved": answer.resolved_question if answer else None,
                "answer": answer.text if answer else None, "refused": answer.refused if answer else None,
                "citations": [c.chunk.id for c in answer.citations] if answer else [],
            })
        except BiaoganError as exc:  # a full disk: the user is told, the log keeps no partial line
            raise _error(exc) from None

    def export(self, answers: list[Answer], kind: str) -> str:
        if not answers:
            raise _error(BiaoganError("还没有可导出的问答", "先提一个问题"))
        _prune_exports()
        folder = Path(tempfile.mkdtemp(prefix=EXPORT_PREFIX))
        if kind == "docx":
            return str(to_docx(answers, folder / "biaogan.docx"))
        path = folder / "biaogan.md"
        path.write_text(conversation_markdown(answers), encoding="utf-8")
        return str(path)

    # --- articles --------------------------------------------------------------------------------

    def status(self) -> str:
        index = self.pipeline.index
        return status_line(index.manifest, len(index.articles))

    def article_table(self) -> list[list[Any]]:
        return article_rows(self.pipeline.index.articles)

    def article_choices(self) -> list[tuple[str, str]]:
        """(《headline》 date · file, file) for the removal list; nothing is preselected."""
        return [(article_label(a), a["source"]) for a in self.pipeline.index.articles]

    def plan_upload(self, files: list[Any] | None) -> tuple[str, str]:
        """('', '') when the batch can be added as it is, else ('replace', the question to confirm)."""
        try:
            plan = self.corpus.plan(_uploads(files))
        except BiaoganError as exc:
            raise _error(exc) from None
        if not plan.replaces:
            return "", ""
        named = "、".join(f"《{title}》" for title in plan.replaces.values())
        return "replace", f"上传的文件会替换已有文章 {named}。旧版本会保存在已移除文章中。确认替换吗？"

    def add_files(self, files: list[Any] | None, replace: bool = False, progress: Progress | None = None) -> str:
        """Add a batch of uploads through the corpus service; returns its result line."""
        try:
            return self.corpus.add(_uploads(files), replace=replace, progress=progress or (lambda f, m: None))
        except BiaoganError as exc:
            raise _error(exc) from None

    def plan_removal(self, source: str | None) -> str:
        """The question confirming a removal, naming the article."""
        titles = {a["source"]: a.get("title", "") for a in self.pipeline.index.articles}
        if not source or source not in titles:
            raise _error(BiaoganError("没有选择文章", "在列表中选一篇"))
        return f"确认移除《{titles[source]}》（{source}）吗？原文件会保存在已移除文章中，可以找回。"

    def remove(self, source: str | None, progress: Progress | None = None) -> str:
        try:
            return self.corpus.remove(source or "", progress=progress or (lambda f, m: None))
        except BiaoganError as exc:
            raise _error(exc) from None


def _uploads(files: list[Any] | None) -> list[Upload]:
    paths = [Path(getattr(item, "name", item)) for item in files or []]
    return [Upload(path, path.name) for path in paths]


def build_ui(pipeline, feedback_path: Path, conversations: ConversationStore | None = None):  # type: ignore[no-untyped-def]
    from app.ui.layout import layout

    return layout(ChatHandlers(pipeline, feedback_path, conversations), example_questions(pipeline))
