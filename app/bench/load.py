"""`biaogan load`: many concurrent clients against a running `biaogan serve`, bounded in count and time."""

from __future__ import annotations

import itertools
import random
import re
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from app.bench.measure import percentiles

ODD = ["", "   ", "郑" * 3000, "<script>alert(1)</script>发改委的目标", "'; DROP TABLE chunks; --", "🌃🔥夜经济怎么样", "\x00\x01控制字符"]


def _memory(pid: int | None) -> dict[str, float]:
    if not pid:
        return {}
    status = Path(f"/proc/{pid}/status").read_text()
    grab = lambda key: int(re.search(rf"{key}:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]  # noqa: E731
    return {"rss_mb": grab("VmRSS"), "peak_rss_mb": grab("VmHWM")}


def run_load(url: str, questions: list[str], *, clients: int, total: int, deadline_s: float, pid: int | None = None,
             odd: bool = True) -> dict[str, Any]:
    """Send `total` questions from `clients` threads; every call is bounded by the overall deadline.
    `odd`: mix in the malformed questions of ODD."""
    from gradio_client import Client

    stop_at = time.monotonic() + deadline_s
    source = itertools.cycle(questions + (ODD if odd else []))
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
                kind = "clear_error" if ("empty" in text or "limit is" in text or "took too long" in text) else ("timeout" if "imeout" in text else "error")
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


# --- the hostile client: the costliest requests found, sent one after another -----------------------

def _random_chinese(rng: random.Random, n: int) -> str:
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(n))


def worst_requests(rng: random.Random, *, max_chars: int = 500, max_items: int = 20) -> list[tuple[str, str, list[str] | None]]:
    """(name, question, history) of the costliest requests within the limits, and some just over them."""
    cjk = lambda: _random_chinese(rng, max_chars)  # noqa: E731  (fresh text each time: nothing is cached)
    return [
        ("random Chinese question", cjk(), None),
        ("random Chinese, full history", cjk(), [cjk() for _ in range(max_items)]),
        ("one repeated character", "郑" * max_chars, ["郑" * max_chars] * max_items),
        ("long digit string", "".join(rng.choice("0123456789") for _ in range(max_chars)), None),
        ("long Latin text", " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(9)) for _ in range(max_chars // 10)), None),
        ("names and departments repeated", ("王智明认为郑州工业要对标苏州，发改委固定资产投资目标，商务局" * 20)[:max_chars], None),
        ("question one over the limit", cjk() + "郑", None),
        ("history one item over the limit", "那商务局呢？", ["发改委提出的目标是多少？"] * (max_items + 1)),
    ]


def time_worst(pipeline: Any, rng: random.Random, repeat: int = 3) -> list[dict[str, Any]]:  # a Pipeline
    """In-process cost of each worst request through ask_api's checks: median and slowest of `repeat`
    fresh draws, wall and CPU time (the CPU time of all threads, less sensitive to a busy machine)."""
    from app.errors import BiaoganError
    from app.limits import check_api_request

    settings = pipeline.settings
    for question in ("发改委提出的固定资产投资目标是多少？", "What did Wang Zhiming say about Suzhou?"):
        pipeline.ask(question)  # as a server that has answered a question or two
    runs: dict[str, list[tuple[float, float, str]]] = {}
    for _ in range(repeat):
        for name, question, history in worst_requests(rng, max_chars=settings.max_question_chars, max_items=settings.max_history_items):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                earlier = check_api_request(question, history, max_question=settings.max_question_chars,
                                            max_items=settings.max_history_items, max_item=settings.max_history_item_chars)
                deadline = pipeline.deadline()
                pipeline.ask(question, history=pipeline.earlier_turns(earlier, deadline), deadline=deadline)
                outcome = "answered"
            except BiaoganError as exc:
                outcome = exc.message[:60]
            runs.setdefault(name, []).append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, outcome))
    return [
        {"request": name, "median_ms": statistics.median(r[0] for r in rows), "max_ms": max(r[0] for r in rows),
         "max_cpu_ms": max(r[1] for r in rows), "outcome": rows[-1][2]}
        for name, rows in runs.items()
    ]


def _oversize_body(url: str, megabytes: int) -> str:
    """POST a chunked body of `megabytes` MB to the API; the server should stop reading it with a 413."""
    import httpx

    def pieces() -> Iterator[bytes]:
        for _ in range(megabytes * 16):
            yield b" " * 65536

    try:
        response = httpx.post(url.rstrip("/") + "/gradio_api/queue/join", content=pieces(),
                              headers={"content-type": "application/json"}, timeout=30)
        return "refused_413" if response.status_code == 413 else f"status_{response.status_code}"
    except httpx.HTTPError:
        return "refused_closed"  # the server answered 413 and closed the connection mid-upload


def _hostile(url: str, stop: threading.Event, seed: int) -> dict[str, Any]:
    """Send the worst requests, one after another, until `stop` is set."""
    from gradio_client import Client

    client, rng = Client(url, verbose=False), random.Random(seed)
    outcomes: dict[str, int] = {}
    latencies: list[float] = []
    while not stop.is_set():
        for name, question, history in worst_requests(rng) + [("oversize body", "", None)]:
            if stop.is_set():
                break
            started = time.perf_counter()
            if name == "oversize body":
                kind = _oversize_body(url, 64)
            else:
                try:
                    client.submit(question, history, api_name="/ask").result(timeout=120)
                    kind = "answered"
                except Exception as exc:  # the server's clear refusals arrive as exceptions
                    text = str(exc)
                    kind = "refused" if "limit is" in text or "took too long" in text else "error: " + text[:80]
            latencies.append((time.perf_counter() - started) * 1000)
            outcomes[kind] = outcomes.get(kind, 0) + 1
    return {"requests": sum(outcomes.values()), "outcomes": outcomes, "latency_ms": percentiles(latencies) if latencies else {}}


def run_mixed(url: str, questions: list[str], *, clients: int, calm: int, total: int, deadline_s: float, pid: int | None) -> dict[str, Any]:
    """Normal clients alone for `calm` questions, then `total` more while one hostile client sends the
    worst requests, then `calm` more alone again (the machine's other load drifts; two calm phases
    around the hostile one show it): the normal clients' latency in each phase, errors, memory."""
    without = run_load(url, questions, clients=clients, total=calm, deadline_s=deadline_s, pid=pid, odd=False)
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        hostile = pool.submit(_hostile, url, stop, 13)
        try:
            during = run_load(url, questions, clients=clients, total=total, deadline_s=deadline_s, pid=pid, odd=False)
        finally:
            stop.set()
        attacks = hostile.result()
    after = run_load(url, questions, clients=clients, total=calm, deadline_s=deadline_s, pid=pid, odd=False)
    return {"without_hostile": without, "with_hostile": during, "without_hostile_after": after, "hostile": attacks,
            "normal_questions": 2 * calm + total, "memory_after": _memory(pid)}
