"""Conversations kept across restarts in SQLite: one row per turn, with the resolved question and citations.

Each turn keeps what is needed to show it again and export it: the question, the question as it was
understood, the answer text, whether it was a refusal, its notices, and its citations (the quote,
its offsets and the whole passage with its headline, date and speaker), as JSON.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import BiaoganError
from app.schema import Answer, Chunk, Citation

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, question TEXT NOT NULL, resolved_question TEXT, answer TEXT NOT NULL,
    refused INTEGER NOT NULL, notices TEXT NOT NULL, citations TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns(conversation_id, position);
"""
TITLE_CHARS = 30


@dataclass(frozen=True)
class Summary:
    """A kept conversation as the side panel lists it."""

    id: str
    title: str
    updated: float
    turns: int

    @property
    def label(self) -> str:
        return f"{time.strftime('%m-%d %H:%M', time.localtime(self.updated))} · {self.title}（{self.turns} 问）"


def citations_json(answer: Answer) -> str:
    return json.dumps(
        [{"n": c.n, "quote": c.quote, "quote_start": c.quote_start, "quote_end": c.quote_end, "chunk": c.chunk.to_dict()}
         for c in answer.citations], ensure_ascii=False)


def _citations(data: str) -> tuple[Citation, ...]:
    return tuple(Citation(c["n"], Chunk.from_dict(c["chunk"]), c["quote"], c["quote_start"], c["quote_end"]) for c in json.loads(data))


class ConversationStore:
    """Kept conversations in one SQLite file; path None keeps nothing (every call is then a no-op)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db, db:
                db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise BiaoganError(f"无法打开对话记录 {path}（{exc}）",
                               "检查 BIAOGAN_CONVERSATIONS_PATH 所在文件夹是否可写，或设 BIAOGAN_KEEP_CONVERSATIONS=false 不保存对话") from exc

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), timeout=10)
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA journal_mode = WAL")  # readers do not wait for a writer
        return db

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def add_turn(self, conversation_id: str, answer: Answer) -> None:
        """Keep one answered turn; a failure to write is logged and never loses the answer on the page."""
        if self.path is None:
            return
        now = time.time()
        try:
            with closing(self._connect()) as db, db:
                db.execute("INSERT OR IGNORE INTO conversations VALUES (?, ?, ?, ?)",
                           (conversation_id, answer.question[:TITLE_CHARS], now, now))
                db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))
                position = db.execute("SELECT COUNT(*) FROM turns WHERE conversation_id = ?", (conversation_id,)).fetchone()[0]
                db.execute(
                    "INSERT INTO turns (conversation_id, position, question, resolved_question, answer, refused, notices,"
                    " citations, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (conversation_id, position, answer.question, answer.resolved_question, answer.text, int(answer.refused),
                     json.dumps(list(answer.notices), ensure_ascii=False), citations_json(answer), now))
        except sqlite3.Error as exc:
            log.warning("对话记录写入失败（%s）：%s", self.path, exc)

    def recent(self, limit: int = 50) -> list[Summary]:
        """Kept conversations, the most recently continued first."""
        if self.path is None:
            return []
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.updated, COUNT(t.id) FROM conversations c JOIN turns t ON t.conversation_id = c.id"
                " GROUP BY c.id ORDER BY c.updated DESC LIMIT ?", (limit,)).fetchall()
        return [Summary(*row) for row in rows]

    def answers(self, conversation_id: str) -> list[Answer]:
        """The turns of a kept conversation as answers, in the order they were asked."""
        if self.path is None:
            return []
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT question, resolved_question, answer, refused, notices, citations FROM turns"
                " WHERE conversation_id = ? ORDER BY position", (conversation_id,)).fetchall()
        return [_answer(row) for row in rows]


def _answer(row: tuple[Any, ...]) -> Answer:
    question, resolved, text, refused, notices, citations = row
    return Answer(question=question, text=text, refused=bool(refused), citations=_citations(citations), hits=(),
                  resolved_question=resolved, notices=tuple(json.loads(notices)))
