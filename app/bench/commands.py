"""`biaogan bench` and `biaogan load`: the measuring commands (app/cli.py adds them to the command line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from app.config import BENCHMARKS
from app.console import IndexOpt, ModelOpt, SeedsOpt, friendly, settings_from
from app.errors import InputError

commands = typer.Typer()

DEFAULT_NEWS = BENCHMARKS / "crud-news" / "news_10k.txt"


@commands.command()
@friendly
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

        typer.echo(cleaning_table(time_cleaning(settings_from(seeds, index, model).seeds_dir)))
        return
    from app.bench.run import run_bench

    if not news.exists():
        raise InputError(f"news corpus not found: {news}", "pass --news PATH to CRUD-RAG's news_10k.txt")
    settings = settings_from(seeds, index, model)
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


@commands.command()
@friendly
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
        for row in time_worst(load_pipeline(settings_from(seeds, index, model)), random.Random(7)):
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
