"""Append-only feedback log: one JSON object a line, never rewritten, safe across processes.

Each record is written whole or not at all: one write of the complete line under an exclusive lock;
a short or failed write (a full disk) is cut back off and reported. Readers skip any corrupt line
(left by versions that did not check their writes) with a warning.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from pathlib import Path
from typing import Any

from app.errors import BiaoganError

log = logging.getLogger(__name__)


class FeedbackNotSaved(BiaoganError):
    hint = "free some disk space, then send the feedback again"


def append_feedback(path: Path, record: dict[str, Any]) -> None:
    """Append one record; the line is written whole and flushed to disk before returning."""
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise FeedbackNotSaved(f"could not save the feedback to {path} ({exc.strerror})", "check that the folder exists and is writable") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _append_line(fd, path, line)
    finally:
        os.close(fd)  # releases the lock


def _append_line(fd: int, path: Path, line: bytes) -> None:
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        line = b"\n" + line  # the log ends in a cut-off line: start this record on a line of its own
    try:
        written = os.write(fd, line)
        if written != len(line):
            raise OSError(f"only {written} of {len(line)} bytes could be written; the disk may be full")
        os.fsync(fd)
    except OSError as exc:
        try:
            os.ftruncate(fd, size)  # leave no partial line for the next record to be glued to
        except OSError:
            log.error("could not remove a partly written feedback record from %s", path)
        raise FeedbackNotSaved(f"could not save the feedback to {path} ({exc.strerror or exc})") from exc


def read_feedback(path: Path) -> list[dict[str, Any]]:
    """Every record in the log, in order; corrupt lines are skipped with a warning."""
    if not path.exists():
        return []
    records: list[dict[str, Any]] = []
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                log.warning("skipped line %d of %s: not a whole feedback record", number, path)
                continue
            records.append(record)
    return records
