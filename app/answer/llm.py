"""Generated answers from an OpenAI-compatible chat endpoint: the one place that imports langchain chat models."""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from app.answer.prompts import format_passages, load_prompt
from app.errors import BiaoganError
from app.schema import Chunk

log = logging.getLogger(__name__)

SYSTEM_PROMPT = "answer_system"
USER_PROMPT = "answer_user"
USER_PLACEHOLDERS = {"question", "passages", "history"}
HISTORY_TURNS = 3  # earlier turns shown to the model; enough to resolve "他" or "那个目标"
# Local servers (Ollama, llama.cpp) ignore the key, but the openai client refuses an empty one.
NO_KEY = "not-needed"
_CITATION = re.compile(r"\[\d+\]")
_DONE = object()


class LLMUnavailable(BiaoganError):
    """The chat endpoint failed, refused or was too slow; the caller answers extractively."""

    hint = "check BIAOGAN_LLM_BASE_URL, BIAOGAN_LLM_MODEL and BIAOGAN_LLM_API_KEY, or unset BIAOGAN_LLM_BASE_URL for extractive answers"


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    api_key: str
    timeout_s: float = 20.0

    def __repr__(self) -> str:
        # Configs end up in logs and tracebacks; the key must not.
        key = "'***'" if self.api_key else "''"
        return f"LLMConfig(base_url={endpoint_label(self.base_url)!r}, model={self.model!r}, api_key={key}, timeout_s={self.timeout_s!r})"


def endpoint_label(base_url: str) -> str:
    """Scheme, host and port of an endpoint: what users and logs may see of it.

    The rest can hold credentials: user:key@ before the host, ?api_key= after the path, and some
    gateways put the key in the path itself.
    """
    try:
        parts = urlsplit(base_url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return "the configured endpoint"
    if not host:
        return "the configured endpoint"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme or 'http'}://{host}" + (f":{port}" if port else "")


def endpoint_secrets(config: LLMConfig) -> list[str]:
    """Every part of the configuration that must not reach a user or a log: the key, the URL's
    userinfo, query values and the URL itself."""
    secrets = [config.api_key, config.base_url.strip()]
    try:
        parts = urlsplit(config.base_url.strip())
        secrets += [parts.username or "", parts.password or "", parts.path]
        secrets += [value for _, value in parse_qsl(parts.query, keep_blank_values=True)]
    except ValueError:
        pass
    # Longest first, so the whole URL is replaced before the key inside it.
    return sorted((s for s in set(secrets) if len(s) >= 4), key=len, reverse=True)


def redact(text: str, config: LLMConfig) -> str:
    """text with the endpoint's secrets replaced by *** and its URL by its host."""
    text = text.replace(config.base_url.strip(), endpoint_label(config.base_url)) if config.base_url.strip() else text
    for secret in endpoint_secrets(config):
        text = text.replace(secret, "***")
    return text


def format_history(history: list[tuple[str, str]] | None) -> str:
    """Earlier turns as text, with their [n] removed: those numbers point at other passages."""
    turns = (history or [])[-HISTORY_TURNS:]
    if not turns:
        return ""
    lines = ["此前的对话（只用来理解指代，不是资料来源）："]
    for question, answer in turns:
        lines += [f"问：{question}", f"答：{_CITATION.sub('', answer).strip()}"]
    return "\n".join(lines) + "\n\n"


class LLMAnswerer:
    """Streams an answer grounded in numbered passages, bounded by one overall deadline."""

    def __init__(self, config: LLMConfig, prompt_folder: Path | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock  # seconds, monotonic; tests pass a fake one instead of sleeping
        # Loaded now so a broken template fails at start-up, not on the first question.
        self.system_prompt = load_prompt(SYSTEM_PROMPT, set(), prompt_folder)
        self.user_template = load_prompt(USER_PROMPT, USER_PLACEHOLDERS, prompt_folder)
        # Built now, in the caller's thread: the import takes a second that must not eat into the first deadline.
        self._model = self._chat_model()

    def __repr__(self) -> str:
        return f"LLMAnswerer({self.config!r})"

    def _chat_model(self) -> Any:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            base_url=self.config.base_url,
            api_key=self.config.api_key or NO_KEY,
            model=self.config.model,
            temperature=0.0,
            timeout=self.config.timeout_s,  # per read: ends a worker stuck on a dead socket after the deadline
            max_retries=0,  # a retry would break the time bound
            streaming=True,
        )

    def messages(self, question: str, chunks: list[Chunk], history: list[tuple[str, str]] | None = None) -> list[Any]:
        from langchain_core.messages import HumanMessage, SystemMessage

        user = self.user_template.format(question=question, passages=format_passages(chunks), history=format_history(history))
        return [SystemMessage(content=self.system_prompt), HumanMessage(content=user)]

    def stream(self, question: str, chunks: list[Chunk], history: list[tuple[str, str]] | None = None) -> Iterator[str]:
        """Yield text deltas as they arrive; raise LLMUnavailable on failure or after config.timeout_s.

        The clock starts at the first next() and includes the caller's own time between deltas.
        Deltas already yielded stay yielded: a caller that falls back must discard them.
        """
        started = self.clock()
        deadline = started + self.config.timeout_s
        messages = self.messages(question, chunks, history)
        prompt_chars = sum(len(m.content) for m in messages)
        deltas: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()
        # The client's timeout is per read, so a slow trickle of tokens never trips it; a worker
        # thread consumes the stream while we wait on the queue with the remaining time.
        worker = threading.Thread(target=self._consume, args=(messages, deltas, stop), name="biaogan-llm", daemon=True)
        worker.start()
        reply_chars, outcome = 0, "stopped"  # stays "stopped" when the caller quits early
        try:
            while True:
                try:
                    item = deltas.get(timeout=max(0.0, deadline - self.clock()))
                except queue.Empty:
                    outcome = "timed out"
                    raise LLMUnavailable(f"the LLM at {endpoint_label(self.config.base_url)} gave no complete answer within {self.config.timeout_s:g} s") from None
                if item is _DONE:
                    outcome = "ok"
                    return
                if isinstance(item, BaseException):
                    outcome = "failed"
                    raise self._translate(item)
                reply_chars += len(item)
                yield item
        finally:
            stop.set()  # also when the caller stops iterating early
            log.info(
                "llm %s: model=%s passages=%d prompt_chars=%d reply_chars=%d seconds=%.2f",
                outcome, self.config.model, len(chunks), prompt_chars, reply_chars, self.clock() - started,
            )

    def complete(self, question: str, chunks: list[Chunk], history: list[tuple[str, str]] | None = None) -> str:
        return "".join(self.stream(question, chunks, history))

    def _consume(self, messages: list[Any], deltas: queue.Queue[Any], stop: threading.Event) -> None:
        """Worker: put each text delta, then _DONE or the exception; quit early once stop is set."""
        finished = False
        try:
            for chunk in self._model.stream(messages):
                if stop.is_set():
                    return  # leaving the loop closes the generator and with it the HTTP response
                if chunk.text:
                    deltas.put(chunk.text)
                finished = finished or bool(chunk.response_metadata.get("finish_reason"))
            # A dropped connection can end the stream quietly; without a finish_reason the answer is cut short.
            deltas.put(_DONE if finished else EOFError("the stream ended before the model finished its answer"))
        except Exception as exc:  # handed to the waiting thread, which decides what it means
            deltas.put(exc)

    def _translate(self, exc: BaseException) -> BaseException:
        """Endpoint failures become LLMUnavailable; anything else is a bug and keeps its type.

        Users see the host and the kind of failure; the server's own words, which may echo the
        key or the URL, go to the log with every secret replaced by ***.
        """
        if not isinstance(exc, endpoint_errors()):
            return exc
        label = endpoint_label(self.config.base_url)
        detail = redact(f"{type(exc).__name__}: {exc}", self.config)
        log.warning("llm endpoint %s failed: %s", label, detail[:300])
        status = getattr(exc, "status_code", None)
        kind = f"HTTP {status}" if status else (str(exc) if isinstance(exc, EOFError) else type(exc).__name__)
        error = LLMUnavailable(f"the LLM at {label} failed ({redact(kind, self.config)[:120]})")
        # The original would print the server's words and the URL: keep it out of tracebacks.
        error.__cause__ = None
        error.__suppress_context__ = True
        return error


def endpoint_errors() -> tuple[type[BaseException], ...]:
    """What a misbehaving or unreachable endpoint can raise through langchain-openai."""
    import importlib
    import json

    import openai

    errors: list[type[BaseException]] = [openai.OpenAIError, OSError, EOFError, json.JSONDecodeError]
    # Transport errors that escape the openai wrappers; openai moved from httpx to httpx2.
    for module, name in (("langchain_core.exceptions", "ModelError"), ("httpx", "HTTPError"), ("httpx2", "HTTPError")):
        try:
            errors.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            pass
    return tuple(errors)


def llm_from_settings(base_url: str, model: str, api_key: str, timeout_s: float) -> LLMAnswerer | None:
    """An answerer for the configured endpoint, or None when no endpoint is configured."""
    if not base_url.strip():
        return None
    if not model.strip():
        raise LLMUnavailable(f"BIAOGAN_LLM_BASE_URL is set ({endpoint_label(base_url)}) but BIAOGAN_LLM_MODEL is empty")
    return LLMAnswerer(LLMConfig(base_url=base_url.strip(), model=model.strip(), api_key=api_key, timeout_s=timeout_s))
