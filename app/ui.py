"""The chat page: build_ui(pipeline) -> gradio Blocks. Formatting and wiring only."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from app.briefing import conversation_markdown, to_docx, to_markdown
from app.errors import BiaoganError, InputError
from app.feedback import append_feedback
from app.followup import Turn
from app.ingest import SUPPORTED, read_article
from app.limits import check_api_request
from app.schema import Answer, Filters
from app.text import name_pinyin
from app.ui_render import answer_markdown, article_rows, markdown_literal, source_cards, status_line

log = logging.getLogger(__name__)


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

class ChatHandlers:
    """Event handlers around one shared, read-only pipeline (corpus changes swap its index)."""

    def __init__(self, pipeline, feedback_path: Path) -> None:  # type: ignore[no-untyped-def]
        self.pipeline = pipeline
        self.feedback_path = feedback_path
        self.corpus_lock = threading.Lock()

    def filters(self, articles: list[str] | None, speakers: list[str] | None) -> Filters:
        by_title = {a["title"]: a["id"] for a in self.pipeline.index.articles}
        return Filters(tuple(by_title[t] for t in articles or [] if t in by_title), tuple(speakers or ()))

    def respond(self, message: str, chat: list[dict[str, Any]], turns: list[dict[str, Any]], answers: list[Answer],
                articles: list[str] | None, speakers: list[str] | None):  # type: ignore[no-untyped-def]
        """Stream the answer into the chat, then show its sources and its briefing form."""
        history = [Turn(t["question"], t["resolved"], tuple(t["speakers"]), tuple(t.get("quotes", ()))) for t in turns]
        chat = list(chat or []) + [{"role": "user", "content": markdown_literal(message or "")}, {"role": "assistant", "content": "……"}]
        try:
            for text, final in self.pipeline.stream(message, history=history, filters=self.filters(articles, speakers)):
                if final is None:
                    chat[-1] = {"role": "assistant", "content": markdown_literal(text)}
                    yield chat, source_cards(None), turns, answers, "", ""
        except BiaoganError as exc:
            raise _error(exc) from None
        _release_memory()
        turn = len(answers) + 1
        chat[-1] = {"role": "assistant", "content": answer_markdown(final, turn)}
        ended = Turn.of(final)
        turns = turns + [{"question": ended.question, "resolved": ended.resolved, "speakers": list(ended.speakers),
                          "quotes": list(ended.quotes)}]
        yield chat, source_cards(final, turn), turns, answers + [final], to_markdown(final), ""

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

    def like(self, data, answers: list[Answer], comment: str) -> str:  # type: ignore[no-untyped-def]
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        answer = answers[index // 2] if 0 <= index // 2 < len(answers) else None
        self._save(answer, bool(data.liked), comment)
        return "已记录反馈，谢谢。"

    def comment(self, answers: list[Answer], comment: str) -> tuple[str, str]:
        if not answers or not (comment or "").strip():
            return "先提问，再写下意见。", comment
        self._save(answers[-1], None, comment)
        return "已记录意见，谢谢。", ""

    def _save(self, answer: Answer | None, liked: bool | None, comment: str) -> None:
        append_feedback(self.feedback_path, {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "liked": liked, "comment": (comment or "").strip(),
            "question": answer.question if answer else None, "resolved": answer.resolved_question if answer else None,
            "answer": answer.text if answer else None, "refused": answer.refused if answer else None,
            "citations": [c.chunk.id for c in answer.citations] if answer else [],
        })

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

    def status(self) -> str:
        return status_line(self.pipeline.index.manifest)

    def article_table(self) -> list[list[Any]]:
        return article_rows(self.pipeline.index.articles)

    def add_files(self, files: list[Any] | None, progress=None) -> tuple[list[list[Any]], str, Any]:  # type: ignore[no-untyped-def]
        """Save uploads into the seeds folder and update the index incrementally."""
        from app.pipeline import build

        if not files:
            raise _error(BiaoganError("没有选择文件", f"支持 {' '.join(SUPPORTED)}"))
        seeds = self.pipeline.settings.seeds_dir
        saved, rejected = [], []
        with self.corpus_lock:
            for item in files:
                source = Path(getattr(item, "name", item))
                name = Path(source.name).name
                if name.startswith(".") or source.suffix.lower() not in SUPPORTED:
                    raise _error(BiaoganError(f"不支持的文件：{name}", f"支持 {' '.join(SUPPORTED)}"))
                try:  # only readable articles enter the seeds folder
                    read_article(source)
                except InputError as exc:
                    rejected.append(f"{name}：{exc.message}")
                    continue
                shutil.copyfile(source, seeds / name)
                saved.append(name)
            report = build(self.pipeline.settings, embedder=self.pipeline.embedder) if saved else None
            self.pipeline.reload()
        message = f"已添加 {len(saved)} 个文件"
        if report:
            message += f"，新增 {len(report.added)}、更新 {len(report.changed)} 篇，{report.embedded} 个段落已编码"
        message += "。" + (f" 未添加：{'；'.join(rejected)}" if rejected else "")
        return self.article_table(), message, self._sources_choices()

    def remove(self, source: str | None) -> tuple[list[list[Any]], str, Any]:
        """Move an article out of the seeds folder (kept under .removed/) and update the index."""
        from app.pipeline import build

        if not source:
            raise _error(BiaoganError("没有选择文章", "在列表中选一篇"))
        seeds = self.pipeline.settings.seeds_dir
        with self.corpus_lock:
            target = seeds / Path(source).name
            if not target.exists():
                raise _error(BiaoganError(f"找不到文件：{source}", "刷新页面后重试"))
            keep = seeds / ".removed"
            keep.mkdir(exist_ok=True)
            shutil.move(str(target), keep / f"{int(time.time())}-{target.name}")
            build(self.pipeline.settings, embedder=self.pipeline.embedder)
            self.pipeline.reload()
        return self.article_table(), f"已移除 {source}（原文件保存在 {keep}）。", self._sources_choices()

    def _sources_choices(self):  # type: ignore[no-untyped-def]
        import gradio as gr

        return gr.update(choices=[a["source"] for a in self.pipeline.index.articles], value=None)


def build_ui(pipeline, feedback_path: Path):  # type: ignore[no-untyped-def]
    from app.ui_layout import layout

    return layout(ChatHandlers(pipeline, feedback_path), example_questions(pipeline))

