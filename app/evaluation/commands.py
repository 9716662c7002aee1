"""`biaogan eval`, `check-claims` and `fit-answerer`: the evaluation commands (app/cli.py adds them to
the command line)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from app.config import BENCHMARKS
from app.console import IndexOpt, ModelOpt, SeedsOpt, friendly, settings_from
from app.errors import InputError

commands = typer.Typer()

DEFAULT_RGB = BENCHMARKS / "rgb-zh" / "zh_refine.json"


@commands.command("eval")
@friendly
def evaluate(
    dataset: Annotated[str, typer.Option("--dataset", help="Comma-separated: seeds, holdout, news-dev, news-dev-paragraphs, cmrc, rgb; or both (seeds,rgb), dev (all but rgb).")] = "seeds",
    retrieval: Annotated[Optional[list[str]], typer.Option("--retrieval", help="Retrieval modes to compare (repeatable): dense, lexical, hybrid.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Passages retrieved per answer.")] = 5,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Only the first N questions (0: all).")] = 0,
    out: Annotated[Optional[Path], typer.Option("--out", help="Report folder (default eval/reports/<timestamp>).")] = None,
    questions: Annotated[Path, typer.Option("--questions", help="Seed question set (JSONL).")] = Path("eval/seeds_qa.jsonl"),
    rgb_path: Annotated[Path, typer.Option("--rgb-path", help="RGB zh_refine.json (read in place, never copied).")] = DEFAULT_RGB,
    benchmarks: Annotated[Optional[Path], typer.Option("--benchmarks", help="Folder holding news-dev/ and cmrc2018/ (default ../shared/benchmarks).")] = None,
    noise: Annotated[str, typer.Option("--noise", help="RGB reader noise rates, comma-separated.")] = "0,0.4,0.8,1.0",
    baseline: Annotated[bool, typer.Option("--baseline/--no-baseline", help="Run the LangChain baseline beside ours.")] = True,
    min_recall5: Annotated[float, typer.Option("--min-recall5", help="Fail below this hybrid Recall@5 (seeds).")] = 0.0,
    min_mrr: Annotated[float, typer.Option("--min-mrr", help="Fail below this hybrid MRR@10 (seeds).")] = 0.0,
    min_accuracy: Annotated[float, typer.Option("--min-accuracy", help="Fail below this key-fact accuracy (seeds).")] = 0.0,
    min_citation_validity: Annotated[float, typer.Option("--min-citation-validity", help="Fail below this share of verified answers.")] = 0.0,
    min_citation_precision: Annotated[float, typer.Option("--min-citation-precision", help="Fail below this share of citations holding the gold evidence.")] = 0.0,
    min_refusal_recall: Annotated[float, typer.Option("--min-refusal-recall", help="Fail below this refusal recall (seeds).")] = 0.0,
    max_false_refusals: Annotated[float, typer.Option("--max-false-refusals", help="Fail above this share of refused answerable questions.")] = 1.0,
    seeds: SeedsOpt = None, index: IndexOpt = None, model: ModelOpt = None,
) -> None:
    """Measure retrieval and answers on a question set with gold evidence; write report.md, results.jsonl and charts."""
    from app.evaluation.run import dataset_names, run_eval

    dataset_names(dataset)  # an unknown name fails before the model loads
    modes = retrieval or ["dense", "lexical", "hybrid"]
    if bad := [m for m in modes if m not in ("dense", "lexical", "hybrid")]:
        raise InputError(f"unknown retrieval mode {bad[0]!r}", "use --retrieval dense, lexical or hybrid")
    try:
        noises = [float(x) for x in noise.split(",") if x.strip()]
    except ValueError as exc:
        raise InputError(f"--noise must be numbers separated by commas, not {noise!r}") from exc
    summary, failures, report = run_eval(
        settings_from(seeds, index, model), dataset=dataset, modes=modes, k=k, limit=limit, out=out, questions=questions,
        rgb_path=rgb_path, noises=noises, baseline=baseline, benchmarks=benchmarks,
        gates={"recall@5": min_recall5, "mrr@10": min_mrr, "accuracy": min_accuracy, "citation_validity": min_citation_validity,
               "citation_precision": min_citation_precision, "refusal_recall": min_refusal_recall,
               "false_refusals": max_false_refusals},
    )
    typer.echo(summary)
    typer.echo(f"\nreport: {report}")
    for failure in failures:
        typer.echo(f"threshold not met: {failure}", err=True)
    if failures:
        raise typer.Exit(1)


@commands.command("check-claims")
@friendly
def check_claims(
    path: Annotated[Path, typer.Argument(help="Hand-written examples, one JSON object a line: passage, claim, supported, kind.")] = Path("eval/claims.jsonl"),
    threshold: Annotated[Optional[float], typer.Option("--threshold", min=0.0, max=1.0, help="Overlap threshold to report on (default: the shipped one).")] = None,
) -> None:
    """Precision and recall of the LLM-answer check at flagging unsupported claims, over a range of thresholds."""
    from app.answer.support import THRESHOLD
    from app.evaluation.claims import calibrate, read_examples

    chosen = THRESHOLD if threshold is None else threshold
    examples = read_examples(path)
    grid = sorted({round(0.05 * i, 2) for i in range(4, 15)} | {chosen})
    results = calibrate(examples, grid)
    typer.echo(f"{len(examples)} examples, {results[0].unsupported} unsupported; flagging unsupported claims:")
    typer.echo("threshold  precision  recall  caught  false alarms")
    for r in results:
        mark = "  <- chosen" if r.threshold == chosen else ""
        typer.echo(f"{r.threshold:9.2f}  {r.precision:9.3f}  {r.recall:6.3f}  {r.caught:6d}  {r.false_alarms:12d}{mark}")
    for example in next(r for r in results if r.threshold == chosen).missed:
        typer.echo(f"missed ({example.kind}): {example.claim}")


@commands.command("fit-answerer")
@friendly
def fit_answerer(
    out: Annotated[Optional[Path], typer.Option("--out", help="Where to write the model (default eval/reports/answer_model-<timestamp>.json); try it with BIAOGAN_ANSWER_MODEL.")] = None,
    rgb_items: Annotated[int, typer.Option("--rgb-items", min=0, help="RGB questions used (asked of its whole corpus, 10 passages, as `biaogan eval` asks them).")] = 150,
    benchmarks: Annotated[Optional[Path], typer.Option("--benchmarks", help="Folder holding news-dev/, cmrc2018/ and rgb-zh/ (default ../shared/benchmarks).")] = None,
    min_gain: Annotated[str, typer.Option("--min-gain", help="Least top-1 gains a weight step must bring, comma-separated; cross-validation picks one (default 0, as the shipped model was fitted; README, 'Answer-sentence model').")] = "0",
    prior: Annotated[Optional[Path], typer.Option("--prior", help="Model whose weights the fit starts from (default: app/data/answer_prior.json).")] = None,
    labels: Annotated[str, typer.Option("--labels", help="answer: a candidate is right when the answer it leads is right; quote: when it holds half the key facts.")] = "answer",
    rank_by: Annotated[Optional[Path], typer.Option("--rank-by", help="Model ranking the other quotes while each candidate leads, in the first pass (default: the shipped model).")] = None,
    passes: Annotated[int, typer.Option("--passes", min=1, help="Labelling passes at most: each relabels with the last fit, until a fit no longer beats the model that ranked its labels (about 13 minutes each).")] = 3,
    bags: Annotated[Optional[int], typer.Option("--bags", min=1, help="Bootstrap samples whose fitted weights are averaged; 1 (the default): one ascent on the questions themselves.")] = None,
    seeds: SeedsOpt = None, index: IndexOpt = None, model: ModelOpt = None,
) -> None:
    """Fit the answer-sentence model on every development set, with leave-one-set-out cross-validation."""
    from app.evaluation.fit_run import run_fit

    try:
        gains = [float(x) for x in min_gain.split(",") if x.strip()]
    except ValueError as exc:
        raise InputError(f"--min-gain must be numbers separated by commas, not {min_gain!r}") from exc
    if not gains or min(gains) < 0:
        raise InputError(f"--min-gain needs at least one number, none negative, not {min_gain!r}")
    if labels not in ("answer", "quote"):
        raise InputError(f"--labels must be answer or quote, not {labels!r}")
    table, path = run_fit(settings_from(seeds, index, model), out, rgb_items, benchmarks, gains, prior, labels, rank_by, passes, bags)
    typer.echo(table)
    typer.echo(f"\nwrote {path}")
