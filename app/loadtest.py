"""`biaogan load`: many concurrent clients against a running `biaogan serve`, bounded in count and time."""

from __future__ import annotations

import itertools
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from app.bench import percentiles

ODD = ["", "   ", "郑" * 3000, "<script>alert(1)</script>发改委的目标", "'; DROP TABLE chunks; --", "🌃🔥夜经济怎么样", "\x00\x01控制字符"]


def _memory(pid: int | None) -> dict[str, float]:
    if not pid:
        return {}
    status = Path(f"/proc/{pid}/status").read_text()
    grab = lambda key: int(re.search(rf"{key}:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]  # noqa: E731
    return {"rss_mb": grab("VmRSS"), "peak_rss_mb": grab("VmHWM")}


def run_load(url: str, questions: list[str], *, clients: int, total: int, deadline_s: float, pid: int | None = None) -> dict[str, Any]:
    """Send `total` questions from `clients` threads; every call is bounded by the overall deadline."""
    from gradio_client import Client

    stop_at = time.monotonic() + deadline_s
    source = itertools.cycle(questions + ODD)
    lock = threading.Lock()
    latencies: list[float] = []
    outcomes = {"ok": 0, "clear_error": 0, "error": 0, "timeout": 0}
    errors: list[str] = []
    memory_before = _memory(pid)

    def worker(n_requests: int) -> None:
        client = Client(url, verbose=False)
        for _ in range(n_requests):
            with lock:
                question = next(source)
            remaining = stop_at - time.monotonic()
            if remaining <= 0:
                with lock:
                    outcomes["timeout"] += 1
                continue
            started = time.perf_counter()
            try:
                result = client.submit(question, None, api_name="/ask").result(timeout=remaining)
                kind = "ok" if isinstance(result, dict) and result.get("answer") else "error"
            except Exception as exc:  # the server's own clear errors arrive as exceptions too
                text = str(exc)
                kind = "clear_error" if ("empty" in text or "limit is" in text) else ("timeout" if "imeout" in text else "error")
                if kind == "error":
                    errors.append(text[:200])
            with lock:
                outcomes[kind] += 1
                latencies.append((time.perf_counter() - started) * 1000)

    shares = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(worker, shares))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else 0.0
    return {
        "clients": clients, "requests": total, "seconds": elapsed, "per_s": total / elapsed if elapsed else 0.0,
        **outcomes, "latency_ms": {**percentiles(latencies), "p99": p99} if latencies else {},
        "memory_before": memory_before, "memory_after": _memory(pid), "sample_errors": errors[:5],
    }
