"""A tiny OpenAI-compatible chat-completions server on 127.0.0.1 for tests (stdlib only)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Script:
    """What the server does with the next requests; tests change it between calls."""

    reply: str = "测试回答[1]。"
    piece_chars: int = 3  # characters per streamed delta
    delay_s: float = 0.0  # sleep before each streamed delta: a slow model
    status: int = 200  # anything else: an OpenAI-style error body with this status
    error_message: str = "fake server failure"
    hang: bool = False  # read the request, never answer
    cut_after: int | None = None  # close the stream after this many deltas, without finish_reason or [DONE]
    gate: threading.Semaphore | None = None  # when set, each streamed delta waits for one release()


@dataclass
class FakeOpenAI:
    script: Script = field(default_factory=Script)
    requests: list[Received] = field(default_factory=list)
    # Set at stop() so handlers that hang or sleep return instead of outliving the test.
    released: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "call start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                fake.handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # port 0: a free port
        self._server.daemon_threads = True
        # A short poll keeps stop() fast; the default waits up to 0.5 s.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-openai", daemon=True).start()
        return self

    def stop(self) -> None:
        self.released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        self.requests.append(Received(handler.path, {k.lower(): v for k, v in handler.headers.items()}, body))
        script = self.script
        try:
            if script.hang:
                self.released.wait()
            elif handler.path.rstrip("/") != "/v1/chat/completions":
                self._json(handler, 404, {"error": {"message": f"no route {handler.path}", "type": "not_found"}})
            elif script.status != 200:
                self._json(handler, script.status, {"error": {"message": script.error_message, "type": "server_error"}})
            elif body.get("stream"):
                self._stream(handler, body, script)
            else:
                self._json(handler, 200, completion(body.get("model", ""), script.reply))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, which is what several tests want

    def _json(self, handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _stream(self, handler: BaseHTTPRequestHandler, body: dict[str, Any], script: Script) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()  # HTTP/1.0: the stream ends when the connection closes
        model = body.get("model", "")
        events = [chunk(model, {"role": "assistant", "content": ""})]
        pieces = [script.reply[i : i + script.piece_chars] for i in range(0, len(script.reply), script.piece_chars)]
        events += [chunk(model, {"content": piece}) for piece in pieces]
        events.append(chunk(model, {}, finish_reason="stop"))
        if script.cut_after is not None:
            events = events[: 1 + script.cut_after]
        for n, event in enumerate(events):
            if n > 0 and script.delay_s and self.released.wait(script.delay_s):
                return
            if n > 0 and script.gate is not None:
                while not script.gate.acquire(timeout=0.05):
                    if self.released.is_set():
                        return
            handler.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode("utf-8"))
            handler.wfile.flush()
        if script.cut_after is not None:
            return  # a dropped connection: HTTP/1.0 ends the body here
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()


def chunk(model: str, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    """One chat.completion.chunk event."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def completion(model: str, text: str) -> dict[str, Any]:
    """A whole non-streamed chat.completion."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@pytest.fixture
def fake_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """A started fake endpoint; import this fixture into a test module to use it."""
    # A proxy set in the environment must not intercept requests to the loopback server.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = FakeOpenAI().start()
    yield server
    server.stop()
