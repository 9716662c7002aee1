"""Append-only feedback log: one JSON object a line, never rewritten, safe across processes."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any


def append_feedback(path: Path, record: dict[str, Any]) -> None:
    """Append one record; the line is written whole and flushed to disk before returning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

