"""Bounded work per request: sizes checked first, earlier turns never answered again, the tagger's
costly part capped, a deadline on the clock the test steps, and the server's body and sign-in limits."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from typing import Any

import gradio as gr
import pytest
from starlette.testclient import TestClient

import app.pipeline as pipeline_module
from app.answer.followup import Turn
from app.config import Settings
from app.limits import QUERY_EMBED_TOKENS, BodyLimit, Deadline, DeadlineExceeded, FailedLogins, LoginLimit, server_middleware
from app.pipeline import Pipeline, load_pipeline
from app.ui.page import ChatHandlers
from tests.conftest import SEEDS

FIXED_ASSET = "发改委提出的固定资产投资目标是多少？"
EARLIER = [FIXED_ASSET, "那商务局呢？", "王智明认为要对标哪些城市？", "他还提到了什么？", "那发改委呢？"]


class SteppedClock:
    """A clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingLLM:
    """Stands in for the chat model: counts calls, and may let time pass with each streamed piece."""

    def __init__(self, clock: SteppedClock | None = None, step_s: float = 0.0, pieces: int = 3) -> None:
        self.calls, self.streamed, self.clock, self.step_s, self.pieces = 0, 0, clock, step_s, pieces

    def stream(self, question: str, chunks: list[Any], history: list[tuple[str, str]] | None = None) -> Iterator[str]:
        self.calls += 1
        for _ in range(self.pieces):
            if self.clock is not None:
                self.clock.now += self.step_s
            self.streamed += 1
            yield chunks[0].text[:30] + "[1]"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("limits")
    shutil.copytree(SEEDS, root / "seeds")
    return Settings(seeds_dir=root / "seeds", index_dir=root / "index", embed_model="hash:256", cache_dir=root / "cache",
                    feedback_path=root / "feedback.jsonl")


@pytest.fixture
def pipeline(settings: Settings) -> Pipeline:
    return load_pipeline(settings)


@pytest.fixture
def handlers(pipeline: Pipeline, settings: Settings) -> ChatHandlers:
    return ChatHandlers(pipeline, settings.feedback_path)


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[Any]:
    """Count calls of module.name (still calling it)."""
    calls: list[Any] = []
    real = getattr(module, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


# --- history: resolved, never answered again -----------------------------------------------------


def test_earlier_questions_are_not_answered_again(handlers: ChatHandlers, monkeypatch: pytest.MonkeyPatch) -> None:
    composed = counting(monkeypatch, pipeline_module, "compose")
    answer = handlers.ask_api("他还提到了什么？", EARLIER)
    assert len(composed) == 1
    assert answer["answer"]


def test_one_llm_call_per_question_whatever_the_history(handlers: ChatHandlers) -> None:
    handlers.pipeline.llm = CountingLLM()
    handlers.ask_api("那文旅局呢？", EARLIER * 3)
    assert handlers.pipeline.llm.calls == 1


def test_a_follow_up_uses_the_turn_remembered_from_its_earlier_answer(handlers: ChatHandlers) -> None:
    first = handlers.ask_api(FIXED_ASSET)
    remembered = handlers.pipeline.memory.get([FIXED_ASSET])
    assert remembered is not None and remembered.quotes == tuple(c["quote"] for c in first["citations"])
    follow_up = handlers.ask_api("他们还提到了什么？", [FIXED_ASSET])
    assert not {c["quote"] for c in follow_up["citations"]} & set(remembered.quotes)  # what was said is not repeated


def test_an_unremembered_follow_up_is_resolved_from_retrieval_alone(handlers: ChatHandlers, monkeypatch: pytest.MonkeyPatch) -> None:
    composed = counting(monkeypatch, pipeline_module, "compose")
    answer = handlers.ask_api("他说要建设哪两个中心？", ["市工信局局长认为郑州工业要对标哪些城市？"])
    assert "王智明" in (answer["resolved_question"] or "")
    assert len(composed) == 1


def test_only_the_last_turns_resolve_a_follow_up(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = pipeline.resolve
    monkeypatch.setattr(pipeline, "resolve", lambda q, history=None: (seen.append(len(history or [])), real(q, history))[1])
    history = [Turn(f"问题{n}", speakers=("王智明",)) for n in range(30)]
    pipeline.ask("他还提到了什么？", history=history)
    assert seen == [pipeline.settings.history_turns]


# --- sizes, before any work ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "history", "message"),
    [
        ("郑" * 501, None, "501 characters long; the limit is 500"),
        (FIXED_ASSET, [FIXED_ASSET] * 21, "21 earlier questions; the limit is 20"),
        (FIXED_ASSET, ["那商务局呢？", "郑" * 501], "earlier question 2 is 501 characters long; the limit is 500"),
        (FIXED_ASSET, [{"question": FIXED_ASSET}], "history must be a list of earlier questions"),
        (FIXED_ASSET, "那商务局呢？", "history must be a list of earlier questions"),
    ],
)
def test_oversize_requests_are_refused_before_any_work(
    handlers: ChatHandlers, monkeypatch: pytest.MonkeyPatch, question: str, history: Any, message: str
) -> None:
    retrieved = counting(monkeypatch, handlers.pipeline.index, "search")
    with pytest.raises(gr.Error, match=message):
        handlers.ask_api(question, history)
    assert retrieved == []


# --- the tagger ------------------------------------------------------------------------------------


def test_the_tagger_hmm_sees_a_bounded_share_of_a_long_question(monkeypatch: pytest.MonkeyPatch) -> None:
    from app import text

    tagger = text._posseg()
    hmm_chars: list[int] = []
    real = tagger.cut

    def spy(sentence: str, HMM: bool = True) -> Any:  # noqa: N803 (jieba's name)
        hmm_chars.append(len(sentence) if HMM else 0)
        return real(sentence, HMM=HMM)

    monkeypatch.setattr(tagger, "cut", spy)
    rng = random.Random(7)
    question = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(2000))
    pairs = text.tagged(question)
    assert "".join(w for w, _ in pairs) == question
    assert sum(hmm_chars) <= text.TAG_HMM_CHARS


def test_a_short_question_is_tagged_as_before() -> None:
    from app import text

    question = "市工信局局长王智明认为，郑州工业要对标哪些城市？"
    assert text.tagged(question) == [(p.word, p.flag) for p in text._posseg().cut(question)]


def test_the_dense_encoder_sees_a_bounded_start_of_a_long_question(handlers: ChatHandlers, monkeypatch: pytest.MonkeyPatch) -> None:
    encoded = counting(monkeypatch, handlers.pipeline.embedder, "encode_queries")
    rng = random.Random(11)
    earlier = ["".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(500)) for _ in range(20)]
    handlers.ask_api("郑" * 10 + "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(490)), earlier)
    texts = {text for (texts,) in encoded for text in texts}
    assert texts and all(len(text) <= QUERY_EMBED_TOKENS for text in texts)
    assert all(text.startswith("郑" * 10) for text in texts)  # earlier questions are resolved without the encoder


def test_english_candidate_sentences_are_encoded_once(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    question = "What did Wang Zhiming say about Suzhou?"
    pipeline.ask(question)
    encoded = counting(monkeypatch, pipeline.embedder, "encode_passages")  # (the hashing embedder encodes queries with it too)
    answer = pipeline.ask(question)
    assert answer.citations
    assert [text for (texts,) in encoded for text in texts if text != question] == []


# --- the deadline ----------------------------------------------------------------------------------


def test_a_deadline_runs_out_on_the_clock_it_is_given() -> None:
    clock = SteppedClock()
    deadline = Deadline(20, clock)
    deadline.check("start")
    clock.now += 20.5
    with pytest.raises(DeadlineExceeded, match="took too long"):
        deadline.check("retrieval")


def test_slow_retrieval_is_stopped_with_a_took_too_long_answer(handlers: ChatHandlers, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SteppedClock()
    handlers.pipeline.clock = clock
    real = handlers.pipeline.evidence

    def slow(*args: Any, **kwargs: Any) -> Any:
        clock.now += handlers.pipeline.settings.request_deadline_s + 1
        return real(*args, **kwargs)

    monkeypatch.setattr(handlers.pipeline, "evidence", slow)
    composed = counting(monkeypatch, pipeline_module, "compose")
    with pytest.raises(gr.Error, match="took too long"):
        handlers.ask_api(FIXED_ASSET)
    assert composed == []


def test_a_trickling_llm_answer_is_cut_at_the_deadline(pipeline: Pipeline) -> None:
    clock = SteppedClock()
    pipeline.clock = clock
    pipeline.llm = CountingLLM(clock, step_s=5.0, pieces=100)
    with pytest.raises(DeadlineExceeded):
        pipeline.ask(FIXED_ASSET)
    assert pipeline.llm.streamed <= 5  # 20 s at 5 s a piece: the worker is released, not held for 100 pieces


# --- body size -------------------------------------------------------------------------------------


async def _echo(scope: Any, receive: Any, send: Any) -> None:
    """An app that reads the whole body and answers with its length."""
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


def test_a_body_over_the_limit_is_refused_by_its_length() -> None:
    client = TestClient(BodyLimit(_echo, max_bytes=1000, upload_bytes=5000))
    assert client.post("/gradio_api/queue/join", content=b"x" * 1000).text == "1000"
    refused = client.post("/gradio_api/queue/join", content=b"x" * 1001)
    assert refused.status_code == 413 and "too large: the limit is 1000 bytes" in refused.json()["detail"]
    assert client.post("/gradio_api/upload", content=b"x" * 4000).status_code == 200


def test_a_chunked_body_is_counted_as_it_arrives() -> None:
    client = TestClient(BodyLimit(_echo, max_bytes=2048, upload_bytes=2048))

    def pieces() -> Iterator[bytes]:
        for _ in range(100):
            yield b"y" * 512

    refused = client.post("/gradio_api/queue/join", content=pieces())
    assert refused.status_code == 413 and "limit is 2 KB" in refused.json()["detail"]


def _served(handlers: ChatHandlers, settings: Settings, **limits: Any) -> TestClient:
    """The app `biaogan serve` runs: the page, with the server middleware passed as it is at launch."""
    from app.ui.page import build_ui

    demo = build_ui(handlers.pipeline, settings.feedback_path)
    demo.auth = [("reader", "right-password")]
    options = {"max_body_kb": 64, "max_upload_mb": 1, "login_attempts": 5, "login_window_s": 60.0, **limits}
    app = gr.routes.App.create_app(demo, app_kwargs={"middleware": server_middleware(**options)})
    return TestClient(app)


def test_the_served_app_refuses_an_oversize_api_body(handlers: ChatHandlers, settings: Settings) -> None:
    client = _served(handlers, settings)
    response = client.post("/gradio_api/queue/join", content=b"{" + b" " * 200_000 + b"}",
                           headers={"content-type": "application/json"})
    assert response.status_code == 413 and "limit is 64 KB" in response.json()["detail"]


# --- sign-in ---------------------------------------------------------------------------------------


def test_failed_sign_ins_are_counted_per_address_over_a_window() -> None:
    clock = SteppedClock()
    failures = FailedLogins(5, 60.0, clock)
    for _ in range(5):
        assert failures.wait_s("10.0.0.1") == 0
        failures.failed("10.0.0.1")
    assert failures.wait_s("10.0.0.1") == pytest.approx(60.0)
    assert failures.wait_s("10.0.0.2") == 0  # another address is not held back
    clock.now += 61
    assert failures.wait_s("10.0.0.1") == 0


def test_the_served_sign_in_refuses_a_sixth_failure_within_a_minute(handlers: ChatHandlers, settings: Settings) -> None:
    client = _served(handlers, settings)
    wrong = {"username": "reader", "password": "guess"}
    assert [client.post("/login", data=wrong).status_code for _ in range(5)] == [400] * 5
    refused = client.post("/login", data={"username": "reader", "password": "right-password"})
    assert refused.status_code == 429 and "too many failed sign-ins" in refused.json()["detail"]
    assert "retry-after" in refused.headers


def test_the_sign_in_limit_lifts_after_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SteppedClock()

    async def login(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b"Incorrect credentials."})

    client = TestClient(LoginLimit(login, FailedLogins(2, 60.0, clock)))
    assert [client.post("/login").status_code for _ in range(3)] == [400, 400, 429]
    assert client.post("/gradio_api/queue/join").status_code == 400  # other routes are never limited
    clock.now += 60.5
    assert client.post("/login").status_code == 400


def test_an_oversize_upload_is_refused_in_chinese_plain_text_as_the_page_shows_it() -> None:
    # The page's upload widget shows "HTTP 413: " followed by the body as it comes: a JSON object there
    # was shown raw, in English.
    client = TestClient(BodyLimit(_echo, max_bytes=1000, upload_bytes=2 * 1024 * 1024))
    refused = client.post("/gradio_api/upload", content=b"x" * (2 * 1024 * 1024 + 1))
    assert refused.status_code == 413 and refused.headers["content-type"].startswith("text/plain")
    assert refused.text == "上传的文件太大：一次最多上传 2 MB，请分批上传"

    def pieces() -> Iterator[bytes]:
        for _ in range(5):
            yield b"y" * (1024 * 1024)

    chunked = client.post("/gradio_api/upload", content=pieces())
    assert chunked.status_code == 413 and chunked.text.startswith("上传的文件太大")


def test_an_answer_stopped_at_the_deadline_on_the_page_says_so_in_chinese(handlers: ChatHandlers, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SteppedClock()
    handlers.pipeline.clock = clock
    real = handlers.pipeline.evidence

    def slow(*args: Any, **kwargs: Any) -> Any:
        clock.now += handlers.pipeline.settings.request_deadline_s + 1
        return real(*args, **kwargs)

    monkeypatch.setattr(handlers.pipeline, "evidence", slow)
    pending = [{"role": "user", "content": FIXED_ASSET}, {"role": "assistant", "content": "正在检索…"}]
    updates = handlers.respond(FIXED_ASSET, pending, [], [], None, None)
    assert next(updates)[0] == []  # no 正在检索… left behind
    limit = handlers.pipeline.settings.request_deadline_s
    with pytest.raises(gr.Error, match=f"回答用时超过 {limit:g} 秒，已停止"):
        next(updates)
