from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.errors import InputError
from app.evaluation.metrics import EvidenceLocator, load_questions, retrieval_metrics, summarise_answers
from app.evaluation.run import check_gates
from tests.conftest import make_hit


def test_retrieval_metrics_on_literals() -> None:
    metrics = retrieval_metrics(["a", "b", "c"], [{"b"}, {"z"}])
    assert metrics["recall@1"] == 0.0 and metrics["recall@3"] == 0.5 and metrics["hit@5"] == 1.0
    assert metrics["mrr@10"] == 0.5
    assert retrieval_metrics(["b"], [{"b"}])["ndcg@10"] == 1.0


def test_evidence_straddling_two_passages_counts_where_most_of_it_is() -> None:
    text = "甲乙丙丁戊己庚辛。壬癸子丑寅卯辰巳。"
    first, second = make_hit(text[:9]).chunk, make_hit(text[9:], rank=2).chunk
    from dataclasses import replace

    second = replace(second, start=9, end=len(text), article_id=first.article_id)
    locator = EvidenceLocator([first, second])
    assert locator.relevant("丙丁戊己") == {first.id}
    assert locator.relevant("辛。壬癸子丑") == {second.id}


def test_answer_summary_on_literal_rows() -> None:
    rows = [
        {"kind": "fact", "answerable": True, "correct": True, "refused": False, "citations_valid": True, "cited_relevant": 1.0, "ms": 10},
        {"kind": "fact", "answerable": True, "correct": False, "refused": True, "citations_valid": True, "cited_relevant": None, "ms": 20},
        {"kind": "unanswerable", "answerable": False, "refused": True, "citations_valid": True, "ms": 30},
    ]
    summary = summarise_answers(rows)
    assert summary["accuracy"] == 0.5 and summary["false_refusals"] == 0.5
    assert summary["refusal_recall"] == 1.0 and summary["refusal_precision"] == 0.5
    assert summary["by_kind"] == {"fact": 0.5, "unanswerable": 1.0}


def test_gates_fail_on_either_side() -> None:
    seeds = {"retrieval": {"hybrid": {"recall@5": 0.9, "mrr@10": 0.8}}, "answers": {"accuracy": 0.7, "false_refusals": 0.2}}
    assert check_gates(seeds, {"recall@5": 0.95, "accuracy": 0.5, "false_refusals": 0.1}) == ["recall@5 0.900 < 0.95", "false_refusals 0.200 > 0.1"]


def test_a_malformed_question_line_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "q1", "kind": "fact", "question": "x"}\n{"id": 2}\n', encoding="utf-8")
    with pytest.raises(InputError, match="q.jsonl:2"):
        load_questions(path)


def test_eval_command_writes_report_results_and_charts(tmp_path: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIAOGAN_SEEDS_DIR", str(seeds_copy))
    monkeypatch.setenv("BIAOGAN_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("BIAOGAN_EMBED_MODEL", "hash:256")
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["-q", "eval", "--limit", "20", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"report.md", "results.jsonl", "seeds-recall_at_k.png", "seeds-accuracy_by_kind.png"}
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| biaogan | hybrid |" in report and "LangChain baseline" in report
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 20 and {"answer", "citations", "retrieved", "baseline"} <= set(rows[0])
    failing = CliRunner().invoke(app, ["-q", "eval", "--limit", "5", "--no-baseline", "--out", str(tmp_path / "r2"), "--min-recall5", "1.01"])
    assert failing.exit_code == 1 and "threshold not met: seeds: recall@5" in failing.stderr


def test_rgb_without_data_is_a_clear_error(tmp_path: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIAOGAN_SEEDS_DIR", str(seeds_copy))
    monkeypatch.setenv("BIAOGAN_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("BIAOGAN_EMBED_MODEL", "hash:256")
    result = CliRunner().invoke(app, ["-q", "eval", "--dataset", "rgb", "--rgb-path", str(tmp_path / "missing.json")])
    assert result.exit_code == 1 and "missing.json" in result.stderr and "--rgb-path" in result.stderr
