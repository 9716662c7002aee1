"""Evaluation output: report.md, results.jsonl and PNG charts in one folder, plus a console summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.evaluation.metrics import RECALL_AT, RETRIEVAL_COLUMNS

ANSWER_COLUMNS = ("accuracy", "citation_validity", "citation_precision", "refusal_recall", "refusal_precision", "false_refusals", "p50_ms", "p95_ms")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if value > 1.5 else f"{value:.3f}"
    return "–" if value is None else str(value)


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return lines


def seed_tables(result: dict[str, Any]) -> list[str]:
    """Retrieval and answer tables for the seed set, ours beside the baseline."""
    retrieval = result["retrieval"]
    rows = [["biaogan", mode, s["n"], *[s[c] for c in RETRIEVAL_COLUMNS]] for mode, s in retrieval.items()]
    baseline = result.get("baseline")
    if baseline:
        b = baseline["retrieval"]
        rows.append(["LangChain baseline", "dense", b["n"], *[b[c] for c in RETRIEVAL_COLUMNS]])
    lines = ["### Retrieval (answerable single-turn questions)", ""] + _table(["system", "mode", "n", *RETRIEVAL_COLUMNS], rows)
    answer_rows = [["biaogan (hybrid, extractive)", *[result["answers"].get(c) for c in ANSWER_COLUMNS]]]
    if baseline:
        answer_rows.append(["LangChain baseline (top passage)", *[baseline["answers"].get(c) for c in ANSWER_COLUMNS]])
    lines += ["", "### Answers (all questions)", ""] + _table(["system", *ANSWER_COLUMNS], answer_rows)
    kinds = sorted(result["answers"]["by_kind"])
    kind_rows = [[k, result["answers"]["by_kind"][k], baseline["answers"]["by_kind"].get(k) if baseline else None] for k in kinds]
    lines += ["", "### Accuracy by kind (unanswerable: share refused)", ""] + _table(["kind", "biaogan", "baseline"], kind_rows)
    if (found := result.get("structure")) is not None:
        lines += ["", "### Structure (against the articles table of the set's README)", ""] + _table(
            ["named speakers", "found", "speaker recall", "names attributed", "speaker precision", "interviews", "read as interviews"],
            [[found["named_speakers"], found["speakers_found"], found["speaker_recall"], found["names_attributed"],
              found["speaker_precision"], found["interviews"], found["interviews_read"]]],
        )
    return lines


def rgb_tables(rgb: dict[str, Any]) -> list[str]:
    from app.evaluation.rgb import RGB_PAPER_READER

    columns = ["recall@1", "recall@5", "recall@10", "mrr@10", "accuracy", "refusal_rate", "p50_ms", "p95_ms"]
    rows = [["biaogan (hybrid, extractive)", *[rgb["end_to_end"][c] for c in columns]]]
    if rgb.get("baseline"):
        rows.append(["LangChain baseline (top passage)", *[rgb["baseline"][c] for c in columns]])
    lines = [f"### RGB end to end ({rgb['items']} questions over {rgb['passages']} passages)", ""]
    lines += _table(["system", *columns], rows)
    lines += ["", "### RGB reader protocol (5 passages given straight to the answerer)", ""]
    reader_rows = [[noise, r["accuracy"], r["refusal_rate"], r.get("rejection_rate")] for noise, r in rgb["reader"].items()]
    lines += _table(["noise", "accuracy", "refusal rate", "rejection (noise 1.0)"], reader_rows)
    if RGB_PAPER_READER:
        rates = RGB_PAPER_READER["noise_rates"]
        lines += ["", "RGB paper, Chinese, generative LLM readers (accuracy % at each noise rate; Rej/Rej* % at noise 1.0):", ""]
        paper = [[name, *m["accuracy"], *m["rejection"]] for name, m in RGB_PAPER_READER["models"].items()]
        lines += _table(["model", *[f"noise {r}" for r in rates], "Rej", "Rej*"], paper)
    return lines


def reading_tables(result: dict[str, Any]) -> list[str]:
    """The reader protocol (one paragraph given): quotes holding a gold span, refusals, quote length."""
    r = result["reading"]
    return _table(["questions", "quote holds the answer", "refused", "median quote (chars)", "holds it punctuation and all"],
                  [[r["n"], r["accuracy"], r["refused"], r["median_quote_chars"], r.get("accuracy_with_punctuation", "")]])


def _tables(name: str, result: dict[str, Any]) -> list[str]:
    return reading_tables(result) if "reading" in result else seed_tables(result)


def write_report(out: Path, meta: dict[str, Any], results: dict[str, dict[str, Any]], rgb: dict[str, Any] | None) -> Path:
    """Write report.md, results.jsonl and the charts; returns the report path."""
    out.mkdir(parents=True, exist_ok=True)
    lines = [f"# biaogan evaluation, {meta['started']}", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items() if key != "started"]
    for name, result in results.items():
        lines += ["", f"## {name}", ""] + _tables(name, result)
        if "rows" in result:
            lines += ["", f"![recall@k]({name}-recall_at_k.png)", "", f"![accuracy by kind]({name}-accuracy_by_kind.png)"]
            lines += ["", "### Wrong answers", ""] + _failures(result["rows"])
    if rgb:
        lines += ["", "## RGB (Chinese)", ""] + rgb_tables(rgb)
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write_results(out / "results.jsonl", results, rgb)
    for name, result in results.items():
        if "rows" in result:
            _charts(out, result, name)
    return path


def _failures(rows: list[dict[str, Any]], limit: int = 40) -> list[str]:
    wrong = [r for r in rows if (r["answerable"] and not r["correct"]) or (not r["answerable"] and not r["refused"])]
    lines = [f"{len(wrong)} of {len(rows)} questions.", ""]
    for row in wrong[:limit]:
        answer = row["answer"].replace("\n", " ")[:160]
        lines.append(f"- {row['id']} ({row['kind']}) {row['question']} → {answer}")
    return lines


def _write_results(path: Path, results: dict[str, dict[str, Any]], rgb: dict[str, Any] | None) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for name, result in results.items():
            baseline = {r["id"]: r for r in result.get("baseline", {}).get("rows", [])}
            for row in result.get("rows", result.get("reading", {}).get("rows", [])):
                handle.write(json.dumps({"dataset": name, **row, "baseline": baseline.get(row["id"])}, ensure_ascii=False) + "\n")
        if rgb:
            for row in rgb["end_to_end"]["rows"]:
                handle.write(json.dumps({"dataset": "rgb", "protocol": "end_to_end", **row}, ensure_ascii=False) + "\n")
            for noise, result in rgb["reader"].items():
                for row in result.get("rows", []):
                    handle.write(json.dumps({"dataset": "rgb", "protocol": f"reader@{noise}", **row}, ensure_ascii=False) + "\n")


def _charts(out: Path, seeds: dict[str, Any], name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = list(RECALL_AT)
    fig, ax = plt.subplots(figsize=(6, 4))
    series = {mode: s for mode, s in seeds["retrieval"].items()}
    if seeds.get("baseline"):
        series["LangChain baseline"] = seeds["baseline"]["retrieval"]
    for label, summary in series.items():
        ax.plot(ks, [summary[f"recall@{k}"] for k in ks], marker="o", label=label)
    ax.set(xlabel="k", ylabel="Recall@k", title=f"{name}: recall@k by retrieval mode", ylim=(0, 1.02), xticks=ks)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / f"{name}-recall_at_k.png", dpi=120)
    plt.close(fig)

    kinds = sorted(seeds["answers"]["by_kind"])
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.4
    ours = [seeds["answers"]["by_kind"][k] for k in kinds]
    ax.bar([i - width / 2 for i in range(len(kinds))], ours, width, label="biaogan")
    if seeds.get("baseline"):
        theirs = [seeds["baseline"]["answers"]["by_kind"].get(k, 0.0) for k in kinds]
        ax.bar([i + width / 2 for i in range(len(kinds))], theirs, width, label="LangChain baseline")
    ax.set_xticks(range(len(kinds)), kinds, rotation=30, ha="right")
    ax.set(ylabel="accuracy", title=f"{name}: answer accuracy by question kind", ylim=(0, 1.05))
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / f"{name}-accuracy_by_kind.png", dpi=120)
    plt.close(fig)


def console_summary(results: dict[str, dict[str, Any]], rgb: dict[str, Any] | None) -> str:
    lines: list[str] = []
    for name, result in results.items():
        lines += [f"## {name}", ""] + _tables(name, result) + [""]
    if rgb:
        lines += [""] + rgb_tables(rgb)
    return "\n".join(lines)
