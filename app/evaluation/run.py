"""`biaogan eval`: run the chosen datasets, write the report, check the thresholds."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from app.config import PROJECT_ROOT, Settings
from app.evaluation.metrics import Question, load_questions
from app.evaluation.report import console_summary, write_report
from app.evaluation.suites import run_baseline_seeds, run_rgb_suite, run_seed_suite
from app.index.stores import open_store
from app.pipeline import Pipeline, build, load_pipeline

log = logging.getLogger(__name__)

# Question sets with gold evidence: the bundled articles (two sets) and news-dev in both layouts.
QUESTION_SETS = ("seeds", "holdout", "news-dev", "news-dev-paragraphs")
DATASETS = (*QUESTION_SETS, "cmrc", "rgb")
ALIASES = {"both": ("seeds", "rgb"), "dev": ("seeds", "holdout", "news-dev", "news-dev-paragraphs", "cmrc")}


def dataset_names(spec: str) -> list[str]:
    """'seeds,news-dev' -> ['seeds', 'news-dev']; aliases expand ('dev' is every development set but RGB)."""
    names: list[str] = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        for name in ALIASES.get(part, (part,)):
            if name not in DATASETS:
                from app.errors import InputError

                raise InputError(f"unknown dataset {name!r}", f"use one or more of {', '.join(DATASETS)} (or both, dev), comma-separated")
            if name not in names:
                names.append(name)
    return names


def check_gates(result: dict[str, Any] | None, gates: dict[str, float]) -> list[str]:
    """Thresholds that a question set's results miss (hybrid retrieval, extractive answers)."""
    if not result:
        return []
    hybrid = result["retrieval"].get("hybrid") or next(iter(result["retrieval"].values()), {})
    values = {"recall@5": hybrid.get("recall@5", 0.0), "mrr@10": hybrid.get("mrr@10", 0.0), **result["answers"]}
    failures = []
    for name, limit in gates.items():
        value = values[name]
        too_high = name == "false_refusals"
        if (value > limit) if too_high else (value < limit):
            failures.append(f"{name} {value:.3f} {'>' if too_high else '<'} {limit}")
    return failures


def pipeline_over(settings: Settings, base: Pipeline, corpus: Path, index_dir: Path) -> Pipeline:
    """A pipeline over another corpus, sharing the loaded model; its index is built or updated first."""
    other = settings.model_copy(update={"seeds_dir": corpus, "index_dir": index_dir})
    build(other, embedder=base.embedder)
    return Pipeline(other, base.embedder, open_store(other, base.embedder.fingerprint))


def _questions_of(name: str, questions: Path, benchmarks: Path) -> list[Question]:
    if name == "seeds":
        return load_questions(questions if questions.is_absolute() else PROJECT_ROOT / questions)
    if name == "holdout":
        return load_questions(PROJECT_ROOT / "eval" / "holdout_qa.jsonl")
    from app.evaluation.devsets import news_dev_questions

    return news_dev_questions(benchmarks)


def run_eval(
    settings: Settings, *, dataset: str, modes: list[str], k: int, limit: int, out: Path | None, questions: Path,
    rgb_path: Path, noises: list[float], baseline: bool, gates: dict[str, float], benchmarks: Path | None = None,
) -> tuple[str, list[str], Path]:
    """Run the datasets; returns (console summary, unmet thresholds, report path)."""
    from app.config import BENCHMARKS
    from app.evaluation.devsets import NEWS_DEV_LAYOUTS, article_keys, cmrc_items, news_dev_folder, run_reading, structure

    benchmarks = benchmarks or BENCHMARKS
    names = dataset_names(dataset)
    started = time.perf_counter()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    progress = log.isEnabledFor(logging.INFO)
    pipeline = load_pipeline(settings)
    work = settings.cache_dir / "eval" / pipeline.embedder.fingerprint.replace(":", "_")
    results: dict[str, dict[str, Any]] = {}
    rgb_result = None
    failures: list[str] = []
    for name in names:
        if name in QUESTION_SETS:
            qs = _questions_of(name, questions, benchmarks)[: limit or None]
            if name in NEWS_DEV_LAYOUTS:
                corpus = news_dev_folder(benchmarks, name)
                target = pipeline_over(settings, pipeline, corpus, work / name)
            else:
                corpus, target = settings.seeds_dir, pipeline
            result = run_seed_suite(target, qs, modes, k, progress)
            if name in NEWS_DEV_LAYOUTS and (keys := article_keys(benchmarks)):
                result["structure"] = structure(target.index.chunks, keys)
            if baseline:
                from app.ingest.read import read_folder

                articles, _ = read_folder(corpus)
                result["baseline"] = run_baseline_seeds(articles, pipeline.embedder, qs, progress)
            results[name] = result
            failures += [f"{name}: {f}" for f in check_gates(result, gates)]
        elif name == "cmrc":
            from app.answer.compose import compose
            from app.answer.corpus import LocalCorpus
            from app.answer.verify import checked
            from app.evaluation.rgb import passages_as_hits

            def reader(question: str, passages: list[str]):  # type: ignore[no-untyped-def]
                return checked(compose(question, passages_as_hits(passages), LocalCorpus(passages), pipeline.similarity, model=pipeline.model))

            items = cmrc_items(benchmarks)[: limit or None]
            results["cmrc"] = {"reading": run_reading(reader, items, progress)}
        elif name == "rgb":
            rgb_result = run_rgb_suite(
                lambda corpus, index_dir: pipeline_over(settings, pipeline, corpus, index_dir),
                rgb_path, settings.cache_dir / "rgb" / pipeline.embedder.fingerprint.replace(":", "_"),
                noises, limit, 10, progress, baseline=baseline,
            )
    meta = {
        "started": stamp, "datasets": ", ".join(names), "model": pipeline.embedder.fingerprint,
        "k": k, "seconds": round(time.perf_counter() - started, 1),
    }
    report = write_report(out or PROJECT_ROOT / "eval" / "reports" / stamp, meta, results, rgb_result)
    return console_summary(results, rgb_result), failures, report
