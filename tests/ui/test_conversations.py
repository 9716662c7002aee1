"""Kept conversations: SQLite, one row per turn, read back exactly, across restarts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.config import Settings
from app.errors import BiaoganError
from app.schema import Answer, Citation
from app.ui.conversations import ConversationStore
from tests.conftest import make_hit


def answer(question: str, *, refused: bool = False) -> Answer:
    passage = "市科技局局长李明表示,力争全年新增高新技术企业500家。"
    hit = make_hit(passage, speaker="李明", position="市科技局局长")
    quote = "力争全年新增高新技术企业500家。"
    start = passage.index(quote)
    return Answer(question=question, text=f"李明表示：“{quote}”[1]", refused=refused, hits=(hit,),
                  citations=(Citation(1, hit.chunk, quote, start, start + len(quote)),),
                  resolved_question=f"（李明）{question}", notices=("注意事项",))


def test_a_turn_is_one_row_and_reads_back_as_the_same_answer(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    original = answer("李明说要新增多少家企业？")
    store.add_turn("conv-1", original)
    [back] = store.answers("conv-1")
    assert (back.question, back.resolved_question, back.text, back.refused, back.notices) == (
        original.question, original.resolved_question, original.text, original.refused, original.notices)
    assert back.citations == original.citations  # quote, offsets and the whole passage with its metadata
    with sqlite3.connect(tmp_path / "c.sqlite3") as db:
        rows = db.execute("SELECT question, resolved_question, citations FROM turns").fetchall()
    assert len(rows) == 1 and rows[0][1] == "（李明）李明说要新增多少家企业？" and "500家" in rows[0][2]


def test_conversations_are_listed_latest_first_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    store = ConversationStore(path)
    store.add_turn("old", answer("第一个对话的问题"))
    store.add_turn("new", answer("第二个对话的问题"))
    store.add_turn("new", answer("第二个对话的追问", refused=True))
    restarted = ConversationStore(path)
    listed = restarted.recent()
    assert [(s.id, s.turns) for s in listed] == [("new", 2), ("old", 1)]
    assert "第二个对话的问题" in listed[0].label and "2 问" in listed[0].label
    assert [a.question for a in restarted.answers("new")] == ["第二个对话的问题", "第二个对话的追问"]
    assert restarted.answers("new")[1].refused


def test_keeping_turned_off_writes_nothing(tmp_path: Path) -> None:
    store = ConversationStore(None)
    store.add_turn("conv", answer("问题"))
    assert not store.enabled and store.recent() == [] and store.answers("conv") == []
    assert list(tmp_path.iterdir()) == []


def test_settings_name_the_file_and_can_turn_keeping_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIAOGAN_CONVERSATIONS_PATH", str(tmp_path / "kept.sqlite3"))
    monkeypatch.setenv("BIAOGAN_KEEP_CONVERSATIONS", "false")
    settings = Settings()
    assert settings.conversations_path == tmp_path / "kept.sqlite3" and settings.keep_conversations is False


def test_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(BiaoganError) as caught:
        ConversationStore(blocker / "c.sqlite3")
    assert "对话记录" in caught.value.message and "BIAOGAN_KEEP_CONVERSATIONS" in caught.value.hint
