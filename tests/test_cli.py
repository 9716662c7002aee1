from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BIAOGAN_SEEDS_DIR", str(seeds_copy))
    monkeypatch.setenv("BIAOGAN_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("BIAOGAN_EMBED_MODEL", "hash:256")
    return tmp_path


def test_ask_builds_the_index_on_first_use_and_prints_json(env: Path) -> None:
    result = runner.invoke(app, ["ask", "发改委提出的固定资产投资目标是多少？", "--json", "-k", "6"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # The answer gives the target, cites the passage that states it, and names who said it.
    assert not data["refused"] and "7000亿元" in data["answer"] and "[1]" in data["answer"]
    assert "夏扬" in data["citations"][0]["speaker"] and "7000亿元" in data["citations"][0]["passage"]
    assert len(data["hits"]) == 6 and [h["rank"] for h in data["hits"]] == list(range(1, 7))
    assert set(data["hits"][0]) >= {"rank", "chunk_id", "score", "text", "article_title", "section", "speaker"}
    assert set(data["citations"][0]) >= {"n", "chunk_id", "article_title", "date", "section", "speaker", "quote", "passage"}
    assert data["citations"][0]["quote"] in data["citations"][0]["passage"]
    assert set(data["timings_ms"]) == {"retrieve", "answer", "total"}
    assert (env / "index" / "CURRENT").exists()


def test_ask_jsonl_answers_each_line_and_reports_bad_ones(env: Path) -> None:
    result = runner.invoke(app, ["ask", "--jsonl"], input="王智明说要对标哪些城市\n\n成都很潮是谁说的\n\x00\x01\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3
    # Each question is answered from the person it names, in the order asked.
    assert "王智明" in rows[0]["hits"][0]["speaker"] and "苏州" in rows[0]["answer"]
    assert "张智群" in rows[1]["hits"][0]["speaker"] and "成都很潮" in rows[1]["answer"]
    assert rows[2]["error"] == "the question is empty"


def test_ask_jsonl_takes_a_scripted_conversation(env: Path) -> None:
    lines = [
        json.dumps({"question": "他还提到了什么？", "history": ["王智明说要对标哪些城市？"]}, ensure_ascii=False),
        '{"question": 5}',
    ]
    result = runner.invoke(app, ["ask", "--jsonl"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    first, bad = (json.loads(line) for line in result.stdout.splitlines())
    # "他" is resolved against the earlier question of the script.
    assert "王智明" in first["resolved_question"]
    assert "not a question line" in bad["error"] and "history" in bad["hint"]


def test_empty_question_is_a_clear_error(env: Path) -> None:
    result = runner.invoke(app, ["ask", "   "])
    assert result.exit_code == 1
    assert "error: the question is empty" in result.stderr and "hint:" in result.stderr


def test_index_command_reports_counts_and_is_incremental(env: Path) -> None:
    first = runner.invoke(app, ["index"])
    assert first.exit_code == 0 and "2 new" in first.stdout
    second = runner.invoke(app, ["index"])
    assert "2 unchanged" in second.stdout and "0 embedded" in second.stdout
    rebuilt = runner.invoke(app, ["index", "--rebuild"])
    assert "2 new" in rebuilt.stdout


def test_missing_seeds_folder_names_it(env: Path) -> None:
    result = runner.invoke(app, ["index", "--seeds", str(env / "nowhere")])
    assert result.exit_code == 1 and "nowhere" in result.stderr and "hint:" in result.stderr


def test_index_built_with_another_model_gives_the_fix(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["index"]).exit_code == 0
    monkeypatch.setenv("BIAOGAN_EMBED_MODEL", "hash:128")
    result = runner.invoke(app, ["ask", "成都"])
    assert result.exit_code == 1
    assert "hash:256" in result.stderr and "biaogan index --rebuild" in result.stderr


def test_flags_override_environment(env: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-index"
    result = runner.invoke(app, ["index", "--index", str(other)])
    assert result.exit_code == 0 and (other / "CURRENT").exists() and not (env / "index" / "CURRENT").exists()


def test_eval_exits_1_when_citation_precision_is_under_its_threshold(env: Path) -> None:
    common = ["eval", "--limit", "6", "--retrieval", "hybrid", "--no-baseline", "--out", str(env / "report")]
    passed = runner.invoke(app, common + ["--min-citation-precision", "0"])
    assert passed.exit_code == 0, passed.output
    failed = runner.invoke(app, common + ["--min-citation-precision", "1.01"])
    assert failed.exit_code == 1 and "threshold not met: seeds: citation_precision" in failed.output


def test_serve_with_sign_in_tells_on_the_sign_in_page_that_failed_sign_ins_are_limited(
        env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Gradio's own form says only "Incorrect Credentials", also for the right password once the
    # failed sign-ins of an address are over the limit (HTTP 429 from app.limits.LoginLimit).
    import gradio as gr

    launched: dict[str, object] = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **options: launched.update(options))
    monkeypatch.setenv("BIAOGAN_AUTH", "reader:secret")
    monkeypatch.setenv("BIAOGAN_LOGIN_ATTEMPTS", "3")
    monkeypatch.setenv("BIAOGAN_MAX_UPLOAD_MB", "30")
    monkeypatch.setenv("BIAOGAN_CONVERSATIONS_PATH", str(env / "conversations.sqlite3"))
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    assert launched["auth"] == ("reader", "secret")
    assert "连续输错 3 次后，需等待 60 秒" in str(launched["auth_message"])
    assert launched["max_file_size"] == "30mb"  # the page's per-file limit is the request limit, not a second number


def test_dotenv_is_under_environment_and_flags(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import Settings

    cwd = env / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # .env is read from the working folder
    (cwd / ".env").write_text(
        f"BIAOGAN_INDEX_DIR={env / 'from-dotenv'}\nBIAOGAN_LLM_TIMEOUT_S=7\nBIAOGAN_HISTORY_TURNS=2\n", encoding="utf-8"
    )
    monkeypatch.setenv("BIAOGAN_INDEX_DIR", str(env / "from-env"))
    monkeypatch.setenv("BIAOGAN_HISTORY_TURNS", "4")
    monkeypatch.delenv("BIAOGAN_LLM_TIMEOUT_S", raising=False)
    monkeypatch.delenv("BIAOGAN_MAX_QUESTION_CHARS", raising=False)
    settings = Settings()
    assert settings.llm_timeout_s == 7.0  # .env over the default of 20
    assert settings.history_turns == 4  # the environment over .env
    assert settings.max_question_chars == 500  # named nowhere: the default

    # Where `biaogan index` writes: the flag, else the environment, else .env.
    built = [name for name in ("from-flag", "from-env", "from-dotenv") if (env / name / "CURRENT").exists()]
    assert built == []
    assert runner.invoke(app, ["index", "--index", str(env / "from-flag")]).exit_code == 0
    assert [n for n in ("from-flag", "from-env", "from-dotenv") if (env / n / "CURRENT").exists()] == ["from-flag"]
    assert runner.invoke(app, ["index"]).exit_code == 0
    assert [n for n in ("from-flag", "from-env", "from-dotenv") if (env / n / "CURRENT").exists()] == ["from-flag", "from-env"]
    monkeypatch.delenv("BIAOGAN_INDEX_DIR")
    assert runner.invoke(app, ["index"]).exit_code == 0
    assert all((env / n / "CURRENT").exists() for n in ("from-flag", "from-env", "from-dotenv"))
