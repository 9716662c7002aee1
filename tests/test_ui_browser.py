"""The chat page in a real browser: `biaogan serve` on the real model, driven by Debian's chromium.

Chromium is not downloaded by Playwright: CI installs Debian's package (see .ci/run). Without it the
module is skipped on a developer machine and fails under CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEEDS

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; .ci/run should have installed it (apt-get install chromium)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium) to run the browser tests",
                allow_module_level=True)

from gradio_client import Client  # noqa: E402
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.model

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
START_TIMEOUT_S = 120
ANSWER_TIMEOUT_MS = 60_000

# A seed article whose body holds markup: the page must show it as text, never run or render it.
INJECTED_ARTICLE = """测试日报·专题
2024年3月8日 星期五
网页安全测试专题
市测试局负责人表示,<script>window.__pwned=1</script><b>加粗</b>测试安全文本。
我们要加强网页安全测试,确保所有文本按原样显示。
测试日报记者 张三
"""

FIXED_ASSET = "发改委提出的固定资产投资目标是多少？"
FOLLOW_UP = "那商务局呢？"
UNANSWERABLE = "武汉有哪些经验值得郑州学？"
INJECTED = "市测试局负责人说了什么？"


class Server:
    """A running `biaogan serve` and the files it writes."""

    def __init__(self, url: str, feedback: Path, log: Path) -> None:
        self.url = url
        self.feedback = feedback
        self.log = log

    def feedback_lines(self) -> list[dict[str, Any]]:
        if not self.feedback.exists():
            return []
        return [json.loads(line) for line in self.feedback.read_text(encoding="utf-8").splitlines() if line.strip()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"biaogan serve exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"biaogan serve did not answer within {START_TIMEOUT_S} s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`biaogan serve` on a copy of the seeds plus the injected article, with the real embedding model."""
    root = tmp_path_factory.mktemp("serve")
    seeds = root / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "900_injected.txt").write_text(INJECTED_ARTICLE, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("BIAOGAN_")}
    env.update(BIAOGAN_SEEDS_DIR=str(seeds), BIAOGAN_INDEX_DIR=str(root / "index"),
               BIAOGAN_FEEDBACK_PATH=str(root / "feedback.jsonl"), GRADIO_TEMP_DIR=str(root / "gradio"))
    port = _free_port()
    log = root / "server.log"
    biaogan = Path(sys.executable).parent / "biaogan"
    with log.open("wb") as out:
        # cwd is the temp folder so that a developer's .env cannot change the settings.
        process = subprocess.Popen([str(biaogan), "serve", "--port", str(port)], cwd=root, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_until_up(url, process, log)
        yield Server(url, root / "feedback.jsonl", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser: Browser, server: Server) -> Iterator[Callable[..., Page]]:
    """Open the chat page in a fresh browser context of a given size; contexts close at teardown."""
    contexts: list[BrowserContext] = []

    def opener(width: int = 1280, height: int = 900, **options: Any) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = context.new_page()
        page.goto(server.url)
        return page

    yield opener
    for context in contexts:
        context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BIAOGAN_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def ask(page: Page, question: str) -> Locator:
    """Type a question, send it, and return the locator of its answer once it is on the page."""
    bots = page.locator("#bg-chat [data-testid=bot]")
    before = bots.count()
    page.locator("#bg-question textarea").fill(question)
    page.locator("#bg-send").click()
    expect(bots).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    answer = bots.nth(before)
    expect(answer).not_to_have_text("……", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#bg-question textarea")).to_have_value("")
    return answer


def wait_for_feedback(server: Server, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        lines = server.feedback_lines()
        if len(lines) >= count:
            return lines
        time.sleep(0.2)
    pytest.fail(f"expected {count} feedback lines in {server.feedback}, found {len(server.feedback_lines())}")


def test_a_conversation_on_the_chat_page(server: Server, open_page: Callable[..., Page], shots: Path) -> None:
    page = open_page(accept_downloads=True)
    sources = page.locator("#bg-sources")

    # 1. The footer tells what is indexed.
    expect(page.locator("#bg-status")).to_contain_text(re.compile(r"\d+ 篇文章 · \d+ 个段落"), timeout=30_000)

    # 2. An answer with a citation, and its source card: headline, date, speaker, the quote highlighted.
    answer = ask(page, FIXED_ASSET)
    expect(answer).to_contain_text("7000亿元")
    expect(answer).to_contain_text("[1]")
    card = sources.locator("#source-1-1")
    expect(sources.locator(".bg-heading")).to_have_text("出处")
    expect(card.locator(".bg-card-title")).to_have_text(re.compile(r"^《.+》$"))
    expect(card.locator(".bg-card-meta")).to_contain_text("2023-05-17")
    expect(card.locator(".bg-card-meta")).to_contain_text("夏扬")
    expect(card.locator("mark")).to_have_count(1)
    expect(card.locator("mark")).to_contain_text("7000亿元")
    quote = card.locator("mark").inner_text()
    assert quote.strip() and quote in card.locator(".bg-card-text").inner_text()
    page.screenshot(path=str(shots / "question.png"), full_page=True)

    # 3. The [1] in the answer is a link to its card: the page stays, the card becomes the :target.
    answer.locator("a[href='#source-1-1']").click()
    expect(page).to_have_url(re.compile(r"#source-1-1$"))
    expect(page.locator("#source-1-1:target")).to_have_count(1)
    expect(card).to_be_in_viewport()
    assert len(page.context.pages) == 1

    # 4. A follow-up is answered as the question it was understood to be.
    answer = ask(page, FOLLOW_UP)
    expect(answer).to_contain_text(re.compile(r"理解为.*商务局"))
    expect(sources.locator("#source-2-1 .bg-card-meta")).to_contain_text("商务局")
    expect(page.locator(".bg-card:target")).to_have_count(0)  # the earlier click marks none of the new cards
    page.screenshot(path=str(shots / "followup.png"), full_page=True)

    # 5. A question the articles do not answer is refused, with the nearest passages offered.
    answer = ask(page, UNANSWERABLE)
    expect(answer).to_contain_text("文章中没有找到")
    expect(sources.locator(".bg-heading")).to_have_text("可能相关的段落")
    page.screenshot(path=str(shots / "refusal.png"), full_page=True)

    # 6. Markup inside an article is shown as text: nothing runs, nothing is rendered bold.
    answer = ask(page, INJECTED)
    expect(answer).to_contain_text("<script>window.__pwned=1</script>")
    expect(answer).to_contain_text("<b>加粗</b>")
    expect(sources).to_contain_text("<script>window.__pwned=1</script><b>加粗</b>测试安全文本")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    expect(page.locator("#bg-chat b, #bg-sources b").filter(has_text="加粗")).to_have_count(0)
    expect(page.locator("#bg-chat script, #bg-sources script")).to_have_count(0)

    # 7. The briefing of the last answer, and the whole conversation exported as Markdown.
    page.get_by_role("button", name="简报与导出").click()
    briefing = page.locator("#bg-briefing textarea")
    expect(briefing).to_have_value(re.compile(r"出处[\s\S]*\[1\]"))
    page.locator("#bg-export-md").click()
    link = page.locator("#bg-exported a[download]")
    expect(link).to_have_attribute("download", re.compile(r"\.md$"), timeout=15_000)
    with page.expect_download() as download_info:
        link.click()
    exported = Path(download_info.value.path()).read_text(encoding="utf-8")
    for question in (FIXED_ASSET, FOLLOW_UP, UNANSWERABLE, INJECTED):
        assert question in exported

    # 8. Thumbs are recorded against the message they were given to.
    bot_rows = page.locator("#bg-chat .message-buttons-left")
    expect(bot_rows).to_have_count(4)
    bot_rows.last.get_by_role("button", name="Like", exact=True).click()
    liked = wait_for_feedback(server, 1)[-1]
    assert liked["liked"] is True and liked["question"] == INJECTED
    bot_rows.first.get_by_role("button", name="Dislike", exact=True).click()
    disliked = wait_for_feedback(server, 2)[-1]
    assert disliked["liked"] is False and disliked["question"] == FIXED_ASSET


def test_the_chat_page_on_a_phone(open_page: Callable[..., Page], shots: Path) -> None:
    width = 390
    page = open_page(width, 844, is_mobile=True, has_touch=True)
    answer = ask(page, FIXED_ASSET)
    expect(answer).to_contain_text("7000亿元")
    expect(page.locator("#bg-sources #source-1-1")).to_be_visible()
    page.screenshot(path=str(shots / "phone.png"), full_page=True)
    for selector in ("#bg-send", "#bg-sources", "#bg-question"):
        box = page.locator(selector).bounding_box()
        assert box is not None, f"{selector} is not shown"
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{selector} sticks out of the screen: {box}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"


def test_long_sources_scroll_inside_their_pane(open_page: Callable[..., Page]) -> None:
    page = open_page()
    ask(page, UNANSWERABLE)  # three long passages
    pane = page.locator("#bg-sources")
    expect(pane.locator(".bg-card")).to_have_count(3)
    spills = pane.evaluate(
        "e => e.scrollHeight > e.clientHeight + 1 && !['auto', 'scroll'].includes(getComputedStyle(e).overflowY)")
    assert not spills, "the source cards spill out of their pane over the rest of the page"


def test_dollar_signs_in_a_question_are_shown_as_typed(open_page: Callable[..., Page]) -> None:
    page = open_page()
    question = "投资$$x^2$$亿元的目标是多少？"
    ask(page, question)
    shown = page.locator("#bg-chat [data-testid=user]").last
    expect(shown).to_contain_text("亿元的目标是多少？")
    expect(shown).to_contain_text(question, timeout=5_000)
    expect(shown.locator(".katex")).to_have_count(0, timeout=1_000)


def test_the_ask_api_answers_with_verbatim_citations(server: Server) -> None:
    client = Client(server.url, verbose=False)
    result = client.predict(FIXED_ASSET, None, api_name="/ask")
    assert "[1]" in result["answer"] and "7000亿元" in result["answer"]
    first = result["citations"][0]
    assert first["quote"] and first["quote"] in first["passage"]

    follow_up = client.predict(FOLLOW_UP, [FIXED_ASSET], api_name="/ask")
    assert follow_up["question"] == FOLLOW_UP
    assert "商务局" in follow_up["resolved_question"]


def test_the_ask_api_serves_several_users_at_once(server: Server) -> None:
    expected = {
        FIXED_ASSET: "7000亿元",
        "商务局今年新开工项目投资要完成多少": "5100亿元",
        "中原科技城吸引了多少家头部企业入驻": "230余家",
        "市工信局局长认为郑州工业要对标哪些城市？": "苏州",
        "哪些街区要建成网红打卡地": "德化街",
        INJECTED: "测试安全文本",
    }
    questions = list(expected)
    start = threading.Barrier(3, timeout=30)

    def user(mine: list[str]) -> list[dict[str, Any]]:
        client = Client(server.url, verbose=False)
        start.wait()  # all three users ask at the same moment
        return [client.predict(question, None, api_name="/ask") for question in mine]

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(user, questions[i::3]) for i in range(3)]
        results = [result for future in futures for result in future.result(timeout=120)]

    assert sorted(r["question"] for r in results) == sorted(questions)
    for result in results:
        assert not result["refused"], result["question"]
        assert expected[result["question"]] in result["answer"], result


def test_the_server_exposes_no_files_beyond_the_page(server: Server) -> None:
    import urllib.error
    import urllib.request

    secret_paths = [
        "file=/etc/passwd", "gradio_api/file=/etc/passwd", f"gradio_api/file={SEEDS / '000_a7041a94f8fffa35.txt'}",
        "gradio_api/file=../../../../etc/passwd", "file=%2Fetc%2Fpasswd",
    ]
    for path in secret_paths:
        try:
            with urllib.request.urlopen(server.url + path, timeout=10) as response:
                body = response.read().decode("utf-8", "replace")
            assert "root:" not in body and "对标先进找差距" not in body, path
        except urllib.error.HTTPError as exc:
            assert exc.code in (403, 404, 400), (path, exc.code)
