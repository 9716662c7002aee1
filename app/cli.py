"""The command line: biaogan index | ask | eval. Maps BiaoganError to 'error: … / hint: …' and exit 1."""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer

from app.config import BENCHMARKS
from app.errors import BiaoganError, InputError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="biaogan (标杆): cited answers from Zhengzhou's 三标 coverage.")
log = logging.getLogger("app.cli")

SeedsOpt = Annotated[Optional[Path], typer.Option("--seeds", help="Articles folder (default: BIAOGAN_SEEDS_DIR or seeds/).")]
IndexOpt = Annotated[Optional[Path], typer.Option("--index", help="Index folder (default: BIAOGAN_INDEX_DIR or index/).")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="Embedding model (default: BIAOGAN_EMBED_MODEL or the bundled e5).")]


def _settings(seeds: Path | None = None, index: Path | None = None, model: str | None = None, **extra: object):  # type: ignore[no-untyped-def]
    from app.config import Settings

    overrides = {"seeds_dir": seeds, "index_dir": index, "embed_model": model, **extra}
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


# C0 and C1 control characters but tab and newline: an article or file name must not be able to
# drive the terminal (clear it, retitle it, move the cursor) through what biaogan prints.
_TERMINAL_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_text(text: str) -> str:
    """Text with the control characters a terminal would act on removed."""
    return _TERMINAL_UNSAFE.sub("", text)


def _echo(text: str = "", *, err: bool = False) -> None:
    typer.echo(safe_text(text), err=err)


def _json_text(data: object, indent: int | None = None) -> str:
    """JSON for the terminal: json escapes C0 characters itself; C1 ones are escaped here."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


class _SafeFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return safe_text(super().format(record))


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("%(levelname).1s %(name)s: %(message)s" if verbose else "%(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("app").setLevel(level)


def _friendly(command: Callable[..., None]) -> Callable[..., None]:
    """Show BiaoganError as 'error: … / hint: …' and exit 1; anything else is a bug and keeps its traceback."""

    @functools.wraps(command)
    def wrapper(*args: object, **kwargs: object) -> None:
        try:
            command(*args, **kwargs)
        except BiaoganError as exc:
            _echo(f"error: {exc.message}", err=True)
            if exc.hint:
                _echo(f"hint: {exc.hint}", err=True)
            raise typer.Exit(1) from None

    return wrapper


@app.callback()
def _main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logging.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Warnings and errors only.")] = False,
) -> None:
    _setup_logging(verbose, quiet)


@app.command()
@_friendly
def index(seeds: SeedsOpt = None, index: IndexOpt = None, model: ModelOpt = None,
          rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-embed every article.")] = False) -> None:
    """Build or update the index: only new or changed articles are embedded."""
    from app.pipeline import build

    report = build(_settings(seeds, index, model), rebuild=rebuild)
    typer.echo(
        f"indexed {len(report.added) + len(report.changed) + len(report.unchanged)} articles "
        f"({len(report.added)} new, {len(report.changed)} changed, {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed), {report.chunks} passages, {report.embedded} embedded, in {report.seconds:.1f} s"
    )
    for skipped in report.skipped:
        _echo(f"skipped {skipped.source}: {skipped.reason}", err=True)


@app.command()
@_friendly
def ask(
    question: Annotated[Optional[str], typer.Argument(help="The question, in Chinese or English.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON (same as --format json).")] = False,
    output: Annotated[str, typer.Option("--format", help="text, json, or briefing (Markdown with numbered sources).")] = "text",
    docx: Annotated[Optional[Path], typer.Option("--docx", help="Also write the answer with its sources to this .docx file.")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='Read one question per stdin line (or {"question": ..., "history": [...]}); write one JSON object per line.')] = False,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Passages to retrieve.")] = 5,
    mode: Annotated[str, typer.Option("--mode", help="hybrid, dense or lexical retrieval.")] = "hybrid",
    article: Annotated[Optional[list[str]], typer.Option("--article", help="Only this article id (repeatable).")] = None,
    speaker: Annotated[Optional[list[str]], typer.Option("--speaker", help="Only passages of this speaker (name or position; repeatable).")] = None,
    date_from: Annotated[Optional[str], typer.Option("--from", help="Earliest article date, YYYY-MM-DD.")] = None,
    date_to: Annotated[Optional[str], typer.Option("--to", help="Latest article date, YYYY-MM-DD.")] = None,
    seeds: SeedsOpt = None, index: IndexOpt = None, model: ModelOpt = None,
) -> None:
    """Answer a question from the indexed articles, with numbered citations."""
    from app.pipeline import clean_question, load_pipeline
    from app.schema import Filters

    if output not in ("text", "json", "briefing"):
        raise InputError(f"unknown format {output!r}", "use --format text, json or briefing")
    if mode not in ("hybrid", "dense", "lexical"):
        raise InputError(f"unknown retrieval mode {mode!r}", "use --mode hybrid, dense or lexical")
    if not jsonl:
        question = clean_question(question or "")  # fail before loading the model
    filters = Filters(tuple(article or ()), tuple(speaker or ()), date_from, date_to)
    pipeline = load_pipeline(_settings(seeds, index, model))
    if jsonl:
        _ask_lines(pipeline, k, mode, filters)
        return
    answer = pipeline.ask(question or "", k=k, mode=mode, filters=filters)
    if docx:
        from app.answer.briefing import to_docx

        _echo(f"wrote {to_docx([answer], docx)}", err=True)
    if as_json or output == "json":
        typer.echo(_json_text(answer.to_dict(), indent=2))
        return
    from app.answer.briefing import source_line, to_markdown

    if output == "briefing":
        _echo(to_markdown(answer))
        return
    _echo(answer.text)
    for notice in answer.notices:
        _echo(f"注意：{notice}")
    if answer.resolved_question:
        _echo(f"（理解为：{answer.resolved_question}）")
    for citation in answer.citations:
        _echo("\n" + source_line(citation))


MAX_SCRIPTED_HISTORY = 8  # earlier questions of a scripted conversation that are answered again


def _parse_line(line: str) -> tuple[str, list[str]]:
    """A plain question, or {"question": ..., "history": [earlier questions]}."""
    text = line.strip()
    if not text.startswith("{"):
        return text, []
    try:
        row = json.loads(text)
        question, history = row["question"], row.get("history", [])
        if not isinstance(question, str) or not isinstance(history, list) or not all(isinstance(h, str) for h in history):
            raise TypeError("question must be a string and history a list of strings")
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"not a question line ({exc})", 'write a question, or {"question": "...", "history": ["earlier question", ...]}') from exc
    return question, history[-MAX_SCRIPTED_HISTORY:]


def _ask_lines(pipeline, k: int, mode: str, filters) -> None:  # type: ignore[no-untyped-def]
    """One JSON object per input line; a bad line yields an error object, not a crash."""
    from app.answer.followup import Turn

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            question, earlier = _parse_line(line)
            history: list[Turn] = []
            for turn in earlier:  # answered in order, so "他" and "这方面" resolve as in the chat
                history.append(Turn.of(pipeline.ask(turn, history=history, k=k, mode=mode, filters=filters)))
            row = pipeline.ask(question, history=history, k=k, mode=mode, filters=filters).to_dict()
        except BiaoganError as exc:
            row = {"question": line.rstrip("\n"), "error": exc.message, "hint": exc.hint}
        typer.echo(_json_text(row))


@app.command()
@_friendly
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on (localhost by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 7860,
    share: Annotated[bool, typer.Option("--share", help="Ask Gradio for a public share link (off by default).")] = False,
    seeds: SeedsOpt = None, index: IndexOpt = None, model: ModelOpt = None,
) -> None:
    """Open the chat page (builds the index first if there is none)."""
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    _limit_malloc_arenas()
    from app.limits import server_middleware
    from app.pipeline import load_pipeline
    from app.ui.conversations import ConversationStore
    from app.ui.layout import launch_options, sign_in_message
    from app.ui.page import build_ui

    settings = _settings(seeds, index, model)
    auth_value = settings.auth.get_secret_value()
    if auth_value and ":" not in auth_value:
        raise InputError("BIAOGAN_AUTH must be 'user:password'")
    log.info("正在载入模型和索引（首次运行会先建立模型和索引，需要几分钟）…")
    pipeline = load_pipeline(settings)
    log.info("已收录 %d 篇文章，%d 个段落", len(pipeline.index.articles), pipeline.index.n_docs)
    conversations = ConversationStore(settings.conversations_path if settings.keep_conversations else None)
    log.info("对话记录：%s", settings.conversations_path if settings.keep_conversations else "不保存")
    demo = build_ui(pipeline, settings.feedback_path, conversations)
    demo.queue(default_concurrency_limit=4)
    typer.echo(f"biaogan: http://{host}:{port}" + ("  （需要登录）" if auth_value else ""), err=True)
    demo.launch(
        server_name=host, server_port=port, share=share, auth=tuple(auth_value.split(":", 1)) if auth_value else None,
        auth_message=sign_in_message(settings.login_attempts, settings.login_window_s) if auth_value else None,
        ssr_mode=False, show_error=True, max_file_size=f"{settings.max_upload_mb}mb", quiet=True, footer_links=["api"], **launch_options(),
        app_kwargs={"middleware": server_middleware(
            max_body_kb=settings.max_body_kb, max_upload_mb=settings.max_upload_mb,
            login_attempts=settings.login_attempts, login_window_s=settings.login_window_s)},
    )


def _limit_malloc_arenas() -> None:
    """Two glibc malloc arenas instead of one per thread: the server's threads otherwise each keep
    freed memory (README, Performance: with the other server settings, 1556 -> 1278 MB under load)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name:
        ctypes.CDLL(name).mallopt(-8, 2)  # M_ARENA_MAX


DEFAULT_NEWS = BENCHMARKS / "crud-news" / "news_10k.txt"


@app.command()
@_friendly
def bench(
    news: Annotated[Path, typer.Option("--news", help="CRUD-RAG news_10k.txt (read in place).")] = DEFAULT_NEWS,
    index_articles: Annotated[int, typer.Option("--index-articles", min=10, help="News articles embedded for the indexing figures.")] = 300,
    sizes: Annotated[str, typer.Option("--sizes", help="Corpus sizes for query latency, comma-separated (with --store: 10000,100000).")] = "1000,10000,50000",
    out: Annotated[Optional[Path], typer.Option("--out", help="Report folder (default eval/reports/bench-<timestamp>).")] = None,
    cleaning: Annotated[bool, typer.Option("--cleaning", help="Only time text cleaning of an OCR-style text at 1×, 10× and 100× of 1,000 lines (no model needed).")] = False,
    store: Annotated[Optional[str], typer.Option("--store", help="faiss or milvus: compare the store backends (FAISS always beside) instead.")] = None,
    seeds: SeedsOpt = None, index: IndexOpt = None, model: ModelOpt = None,
) -> None:
    """Benchmark indexing, query latency by corpus size, cold start and memory, beside the LangChain baseline."""
    if cleaning:
        from app.bench.measure import cleaning_table, time_cleaning

        typer.echo(cleaning_table(time_cleaning(_settings(seeds, index, model).seeds_dir)))
        return
    from app.bench.run import run_bench

    if not news.exists():
        raise InputError(f"news corpus not found: {news}", "pass --news PATH to CRUD-RAG's news_10k.txt")
    settings = _settings(seeds, index, model)
    if store is not None or settings.store == "milvus":
        # The answer-level bench times the index folder in this process; on Milvus the stores are compared.
        _bench_stores(store or settings.store, news, index_articles, sizes, out, settings)
        return
    table, folder = run_bench(settings, news, index_articles, [int(s) for s in sizes.split(",") if s.strip()], out)
    typer.echo(table)
    typer.echo(f"\nreport: {folder}")


def _bench_stores(store: str, news: Path, index_articles: int, sizes: str, out: Path | None, settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    from app.bench.stores import run_store_bench
    from app.config import PROJECT_ROOT

    if store not in ("faiss", "milvus"):
        raise InputError(f"unknown store {store!r}", "use --store faiss or --store milvus")
    sizes = "10000,100000" if sizes == "1000,10000,50000" else sizes
    folder = out or PROJECT_ROOT / "eval" / "reports" / f"store-bench-{datetime.now():%Y%m%d-%H%M%S}"
    backends = list(dict.fromkeys(["faiss", store]))
    typer.echo(run_store_bench(settings, news, index_articles, [int(s) for s in sizes.split(",") if s.strip()], backends, folder))
    typer.echo(f"\nreport: {folder}")


@app.command()
@_friendly
def load(
    url: Annotated[str, typer.Option("--url", help="A running `biaogan serve` (loopback only).")] = "http://127.0.0.1:7860/",
    clients: Annotated[int, typer.Option("--clients", min=1, max=64)] = 20,
    requests: Annotated[int, typer.Option("--requests", min=1, max=5000)] = 200,
    deadline: Annotated[float, typer.Option("--deadline", min=1, help="Stop after this many seconds, whatever is left.")] = 600,
    pid: Annotated[Optional[int], typer.Option("--pid", help="Server process id, to report its memory.")] = None,
    hostile: Annotated[bool, typer.Option("--hostile", help="Add one client sending the worst requests found, after a calm phase.")] = False,
    calm: Annotated[int, typer.Option("--calm", min=1, max=5000, help="With --hostile: normal questions asked alone before and after the hostile phase.")] = 500,
    worst: Annotated[bool, typer.Option("--worst", help="Time each worst request in this process (no server) and exit.")] = False,
    seeds: SeedsOpt = None, index: IndexOpt = None, model: ModelOpt = None,
) -> None:
    """Load test: concurrent clients ask questions (some malformed on purpose); reports errors and latency.
    With --hostile: normal clients alone (--calm questions), with one hostile client beside them
    (--requests), then alone again (--calm)."""
    import random
    from urllib.parse import urlparse

    from app.bench.load import run_load, run_mixed, time_worst
    from app.config import PROJECT_ROOT
    from app.evaluation.metrics import load_questions

    if worst:
        from app.pipeline import load_pipeline

        typer.echo(f"{'median ms':>10} {'max ms':>8} {'max CPU ms':>10}  request")
        for row in time_worst(load_pipeline(_settings(seeds, index, model)), random.Random(7)):
            typer.echo(f"{row['median_ms']:10.0f} {row['max_ms']:8.0f} {row['max_cpu_ms']:10.0f}  {row['request']:<32} {row['outcome']}")
        return
    host = urlparse(url).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise InputError(f"{host} is not a loopback address", "load tests only target a server on this machine (127.0.0.1)")
    questions = [q.question for q in load_questions(PROJECT_ROOT / "eval" / "seeds_qa.jsonl")]
    if hostile:
        report = run_mixed(url, questions, clients=clients, calm=calm, total=requests, deadline_s=deadline, pid=pid)
        failed = sum(report[phase]["error"] for phase in ("without_hostile", "with_hostile", "without_hostile_after"))
    else:
        report = run_load(url, questions, clients=clients, total=requests, deadline_s=deadline, pid=pid)
        failed = report["error"]
    typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
    if failed:
        raise typer.Exit(1)


DEFAULT_RGB = BENCHMARKS / "rgb-zh" / "zh_refine.json"


@app.command("eval")
@_friendly
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
        _settings(seeds, index, model), dataset=dataset, modes=modes, k=k, limit=limit, out=out, questions=questions,
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


@app.command("check-claims")
@_friendly
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


@app.command("fit-answerer")
@_friendly
def fit_answerer(
    out: Annotated[Optional[Path], typer.Option("--out", help="Where to write the model (default eval/reports/answer_model-<timestamp>.json); try it with BIAOGAN_ANSWER_MODEL.")] = None,
    rgb_items: Annotated[int, typer.Option("--rgb-items", min=0, help="RGB questions used (reader protocol, noise 0.4).")] = 150,
    benchmarks: Annotated[Optional[Path], typer.Option("--benchmarks", help="Folder holding news-dev/, cmrc2018/ and rgb-zh/ (default ../shared/benchmarks).")] = None,
    l2: Annotated[str, typer.Option("--l2", help="Penalties to try, comma-separated; cross-validation picks one.")] = "0.03,0.1,0.3,3,30",
    prior: Annotated[Optional[Path], typer.Option("--prior", help="Model whose weights' direction the fit starts from (default: app/data/answer_prior.json).")] = None,
    seeds: SeedsOpt = None, index: IndexOpt = None, model: ModelOpt = None,
) -> None:
    """Fit the answer-sentence model on every development set, with leave-one-set-out cross-validation."""
    from app.evaluation.fit_run import run_fit

    try:
        l2s = [float(x) for x in l2.split(",") if x.strip()]
    except ValueError as exc:
        raise InputError(f"--l2 must be numbers separated by commas, not {l2!r}") from exc
    table, path = run_fit(_settings(seeds, index, model), out, rgb_items, benchmarks, l2s, prior)
    typer.echo(table)
    typer.echo(f"\nwrote {path}")


def main() -> None:
    app()


if __name__ == "__main__":  # `python -m app.cli` runs this checkout without installing it
    main()
