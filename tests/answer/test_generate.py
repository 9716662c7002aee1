"""The LLM path end to end through the pipeline, against a local OpenAI-compatible test server."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.answer.generate import ENGLISH_NOTICE, from_llm
from app.answer.llm import LLMAnswerer, LLMConfig
from app.answer.verify import UNVERIFIED
from app.config import Settings
from app.pipeline import UNCHECKED_DRAFT, load_pipeline
from tests.conftest import make_hit
from tests.fake_openai import FakeOpenAI, fake_openai  # noqa: F401 (fixture)

HITS = [make_hit("力争全市固定资产投资突破7000亿元。工业投资达到1500亿元。", speaker="夏扬", position="市发展改革委主任")]


def test_llm_text_gets_verbatim_citations() -> None:
    answer = from_llm("目标是多少？", "夏扬表示，全市固定资产投资力争突破7000亿元[1]。", HITS)
    assert not answer.refused and answer.notices == ()
    assert answer.citations[0].quote == "力争全市固定资产投资突破7000亿元。"


def test_unsupported_sentences_are_marked_not_passed() -> None:
    answer = from_llm("目标是多少？", "投资突破7000亿元[1]。另外还将投资9000亿元[1]。郑州很美。", HITS)
    assert answer.text.count(UNVERIFIED) == 2
    assert any("没有可核实的出处" in n for n in answer.notices)


def test_a_refusal_from_the_llm_is_a_refusal() -> None:
    assert from_llm("GDP？", "文章中没有找到关于GDP的信息。", HITS).refused


@pytest.fixture
def settings(tmp_path: Path, seeds_copy: Path, fake_openai: FakeOpenAI) -> Settings:  # noqa: F811
    return Settings(
        seeds_dir=seeds_copy, index_dir=tmp_path / "index", embed_model="hash:256",
        llm_base_url=fake_openai.base_url, llm_model="test-model", llm_api_key="sk-test", llm_timeout_s=2,
    )


def test_pipeline_answers_with_the_llm_when_configured(settings: Settings, fake_openai: FakeOpenAI) -> None:  # noqa: F811
    pipeline = load_pipeline(settings)
    hits = pipeline.retrieve("发改委提出的固定资产投资目标是多少？")
    n = next(i for i, h in enumerate(hits, start=1) if "7000亿元" in h.chunk.text)
    fake_openai.script.reply = f"夏扬提出，力争全市固定资产投资突破7000亿元[{n}]。"
    answer = pipeline.ask("发改委提出的固定资产投资目标是多少？")
    assert answer.text == fake_openai.script.reply and "7000亿元" in answer.citations[0].chunk.text
    assert fake_openai.requests and "发改委" in str(fake_openai.requests[-1].body)


def test_the_fallback_notice_and_log_show_the_host_without_credentials(
    settings: Settings, fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture,  # noqa: F811
) -> None:
    host = fake_openai.base_url.split("/v1")[0]
    secret = "sk-user-secret-1234"
    url = f"http://reader:{secret}@{host.removeprefix('http://')}/v1?api_key={secret}"
    fake_openai.script.status = 500
    fake_openai.script.error_message = f"bad key {secret} for {url}"
    caplog.set_level(logging.DEBUG, logger="app")
    answer = load_pipeline(settings.model_copy(update={"llm_base_url": url})).ask("发改委提出的固定资产投资目标是多少？")
    notice = next(n for n in answer.notices if "大模型暂不可用" in n)
    assert host in notice and secret not in notice and "reader" not in notice
    logged = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("app") or r.levelno >= logging.WARNING)
    assert secret not in logged and "reader" not in logged
    assert any(host in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_pipeline_falls_back_to_extractive_with_a_notice(settings: Settings, fake_openai: FakeOpenAI) -> None:  # noqa: F811
    fake_openai.script.status = 500
    answer = load_pipeline(settings).ask("发改委提出的固定资产投资目标是多少？")
    assert any("大模型暂不可用" in n for n in answer.notices)
    assert "7000亿元" in answer.text and answer.citations


# --- invented answers from the endpoint are caught -------------------------------------------

PROGRAMME = make_hit(
    "力争全市固定资产投资突破7000亿元。全年实施重点项目300项。先进制造业项目占比超50%。",
    speaker="夏扬", position="市发展改革委主任",
)
INVENTED = [
    "郑州市市长已于昨日宣布辞职[1]。",
    "投资突破700亿元[1]。",
    "全年实施重点项目30项[1]。",
    "先进制造业项目占比下降50%[1]。",
]
PARAPHRASES = [
    "夏扬表示，全市固定资产投资力争突破七千亿元[1]。",
    "全年要实施300项重点项目[1]。",
    "先进制造业项目的占比要超过50%[1]。",
    "力争全市固定资产投资突破7000亿元[1]。",
    "全市固定资产投资力争突破0.7万亿元[1]。",  # the same amount; no substring of the passage
]


@pytest.mark.parametrize("invented", INVENTED)
def test_each_invented_answer_from_the_endpoint_is_marked_with_a_notice(invented: str, fake_openai: FakeOpenAI) -> None:  # noqa: F811
    fake_openai.script.reply = invented
    llm = LLMAnswerer(LLMConfig(base_url=fake_openai.base_url, model="test-model", api_key="sk-test", timeout_s=5))
    answer = from_llm("有哪些目标？", llm.complete("有哪些目标？", [PROGRAMME.chunk]), [PROGRAMME])
    assert answer.text == invented + UNVERIFIED
    assert any(n.startswith("1 句无法与所引文章核对") for n in answer.notices)


@pytest.mark.parametrize("supported", PARAPHRASES)
def test_supported_paraphrases_are_not_flagged(supported: str) -> None:
    answer = from_llm("有哪些目标？", supported, [PROGRAMME])
    assert answer.text == supported and answer.notices == ()


def test_the_notice_counts_every_unsupported_sentence_and_says_why() -> None:
    answer = from_llm("有哪些目标？", "".join(PARAPHRASES[:2] + INVENTED), [PROGRAMME])
    assert answer.text.count(UNVERIFIED) == 4
    notice = next(n for n in answer.notices if "无法与所引文章核对" in n)
    assert notice.startswith("4 句") and "700亿元" in notice


def test_invented_answers_from_the_endpoint_are_marked(settings: Settings, fake_openai: FakeOpenAI) -> None:  # noqa: F811
    pipeline = load_pipeline(settings)
    question = "发改委提出的固定资产投资目标是多少？"
    n = next(i for i, h in enumerate(pipeline.retrieve(question), start=1) if "7000亿元" in h.chunk.text)
    fake_openai.script.reply = f"投资突破700亿元[{n}]。工业投资达到1500亿元[{n}]。"
    answer = pipeline.ask(question)
    assert answer.text == f"投资突破700亿元[{n}]。{UNVERIFIED}工业投资达到1500亿元[{n}]。"
    assert any(n.startswith("1 句无法与所引文章核对") for n in answer.notices)


def test_text_streamed_before_the_check_says_it_is_unchecked(settings: Settings, fake_openai: FakeOpenAI) -> None:  # noqa: F811
    pipeline = load_pipeline(settings)
    fake_openai.script.reply = "投资突破700亿元[1]。"
    steps = list(pipeline.stream("发改委提出的固定资产投资目标是多少？"))
    drafts = [text for text, final in steps if final is None]
    assert drafts and all(text.startswith(UNCHECKED_DRAFT) for text in drafts)
    assert steps[-1][1] is not None and not steps[-1][0].startswith(UNCHECKED_DRAFT)


def test_english_answers_say_how_far_they_were_checked() -> None:
    english = from_llm("What is the target?", "Fixed-asset investment is to top 700 billion yuan [1].", [PROGRAMME])
    assert english.text == "Fixed-asset investment is to top 700 billion yuan [1]."
    assert english.notices == (ENGLISH_NOTICE,)
    wrong = from_llm("What is the target?", "Investment is to top 70 billion yuan [1].", [PROGRAMME])
    assert wrong.text.endswith(UNVERIFIED) and ENGLISH_NOTICE not in wrong.notices
