"""Bounds on one request: input sizes checked before any work, a deadline for the work itself, and
two ASGI middlewares for the server (request body size, failed sign-ins per address)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.errors import BiaoganError, InputError
from app.text import is_cjk

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class DeadlineExceeded(BiaoganError):
    """An answer took longer than the per-request deadline and was stopped."""

    hint = "ask a shorter or more specific question, or try again in a moment"
    seconds: float = 0.0  # the deadline that ran out (the page says it in Chinese)


class Deadline:
    """The time one request may take. Checked between stages of the answer (work cannot be cut inside a
    stage, which is why every stage's input is bounded too); the clock is injectable for tests."""

    def __init__(self, seconds: float, clock: Clock = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.started = clock()

    def remaining(self) -> float:
        return self.seconds - (self.clock() - self.started)

    def check(self, stage: str) -> None:
        """Raise DeadlineExceeded when the time is up (`stage`: what was being done, for the log)."""
        if self.remaining() < 0:
            log.warning("request stopped after %.1f s, during %s", self.clock() - self.started, stage)
            exc = DeadlineExceeded(f"answering took longer than {self.seconds:g} s and was stopped (took too long)")
            exc.seconds = self.seconds
            raise exc


def check_api_request(question: Any, history: Any, *, max_question: int, max_items: int, max_item: int) -> list[str]:
    """The earlier questions of an /ask call, after checking types and sizes; nothing else is done first."""
    if question is not None and not isinstance(question, str):
        raise InputError("the question must be text", "send the question as a string")
    if question and len(question) > max_question:
        raise InputError(f"the question is {len(question)} characters long; the limit is {max_question}", "ask a shorter question")
    if history is None:
        return []
    if not isinstance(history, list) or not all(isinstance(item, str) for item in history):
        raise InputError("history must be a list of earlier questions (strings)", 'send e.g. ["发改委提出的目标是多少？"]')
    if len(history) > max_items:
        raise InputError(f"history has {len(history)} earlier questions; the limit is {max_items}",
                         "send only the last few questions of the conversation")
    for n, item in enumerate(history, start=1):
        if len(item) > max_item:
            raise InputError(f"earlier question {n} is {len(item)} characters long; the limit is {max_item}",
                             "send the earlier questions as they were asked")
    return history


# The dense encoder's cost grows with the text's tokens (128 random Chinese characters took up to 0.9 s
# on a busy machine); it sees a question up to about this many tokens, more than any real question
# needs. A Chinese character or digit is about one token, other characters about half. Lexical
# retrieval still sees the whole question.
QUERY_EMBED_TOKENS = 64


def embed_text(question: str) -> str:
    """The start of a question that the dense encoder sees (about QUERY_EMBED_TOKENS tokens)."""
    cost = 0.0
    for end, char in enumerate(question):
        cost += 1.0 if is_cjk(char) or char.isdigit() else 0.0 if char.isspace() else 0.5
        if cost > QUERY_EMBED_TOKENS:
            return question[:end]
    return question


async def _reply(send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    body = json.dumps({"detail": message, "error": message}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def _size(limit: int) -> str:
    return f"{limit} bytes" if limit < 1024 else f"{limit // 1024} KB" if limit < 1024 * 1024 else f"{limit // 1024 // 1024} MB"


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse request bodies over a size with HTTP 413: at once by Content-Length, and by counting the
    bytes of a chunked body as they arrive, so an oversize body is never held in memory."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int, upload_suffix: str = "/upload") -> None:
        self.app, self.max_bytes, self.upload_bytes, self.upload_suffix = app, max_bytes, upload_bytes, upload_suffix

    def limit(self, path: str) -> int:
        return self.upload_bytes if path.rstrip("/").endswith(self.upload_suffix) else self.max_bytes

    def _message(self, limit: int) -> str:
        return f"request body too large: the limit is {_size(limit)}"

    async def _refuse(self, send: Send, path: str, limit: int) -> None:
        if path.rstrip("/").endswith(self.upload_suffix):
            # The page shows an upload's error body as it comes ("HTTP 413: <body>"): plain Chinese text.
            body = f"上传的文件太大：一次最多上传 {_size(limit)}，请分批上传".encode("utf-8")
            await send({"type": "http.response.start", "status": 413, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await _reply(send, 413, self._message(limit))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await self._refuse(send, scope.get("path", ""), limit)
        state = {"read": 0, "refused": False, "started": False}

        async def counted() -> Message:
            if state["refused"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > limit:
                    state["refused"] = True
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            if state["refused"]:
                return  # the app's own reply to a body it could not finish reading is replaced by the 413
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except _TooLarge:
            pass
        if state["refused"] and not state["started"]:
            await self._refuse(send, scope.get("path", ""), limit)


class FailedLogins:
    """Failed sign-ins per client address over a sliding window; a bounded number of addresses is kept."""

    def __init__(self, attempts: int, window_s: float, clock: Clock = time.monotonic, max_addresses: int = 10_000) -> None:
        self.attempts, self.window_s, self.clock, self.max_addresses = attempts, window_s, clock, max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_s(self, address: str) -> float:
        """Seconds until this address may try again; 0 when it may now."""
        with self._lock:
            times = self._recent(address)
            return 0.0 if len(times) < self.attempts else max(times[0] + self.window_s - self.clock(), 0.0)

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address).append(self.clock())
            self._failures.move_to_end(address)
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)

    def _recent(self, address: str) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and times[0] <= self.clock() - self.window_s:
            times.popleft()
        return times


class LoginLimit:
    """Refuse sign-in attempts with HTTP 429 from an address that failed too often recently."""

    def __init__(self, app: ASGIApp, failures: FailedLogins) -> None:
        self.app, self.failures = app, failures

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "").rstrip("/")
        if scope["type"] != "http" or scope.get("method") != "POST" or not path.endswith("/login"):
            return await self.app(scope, receive, send)
        address = (scope.get("client") or ("unknown",))[0]
        wait = self.failures.wait_s(address)
        if wait > 0:
            log.warning("sign-in refused for %s: %d failed attempts within %g s", address, self.failures.attempts, self.failures.window_s)
            return await _reply(send, 429, f"too many failed sign-ins from this address; try again in {int(wait) + 1} s",
                                [(b"retry-after", str(int(wait) + 1).encode())])

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 400:
                self.failures.failed(address)
            await send(message)

        await self.app(scope, receive, watched)


def server_middleware(*, max_body_kb: int, max_upload_mb: int, login_attempts: int, login_window_s: float) -> list[Any]:
    """The middlewares for the app gradio builds (pass as launch(app_kwargs={"middleware": ...}))."""
    from starlette.middleware import Middleware

    return [
        Middleware(LoginLimit, failures=FailedLogins(login_attempts, login_window_s)),  # type: ignore[arg-type]
        Middleware(BodyLimit, max_bytes=max_body_kb * 1024, upload_bytes=max_upload_mb * 1024 * 1024),  # type: ignore[arg-type]
    ]
