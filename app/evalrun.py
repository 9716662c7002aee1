"""`biaogan eval`: run the chosen datasets, write the report, check the thresholds."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from app.config import PROJECT_ROOT, Settings
from app.evaluate import load_questions
from app.evalsuite import run_baseline_seeds, run_rgb_suite, run_seed_suite
from app.pipeline import Pipeline, build, load_pipeline
from app.report import console_summary, write_report
from app.store import load_index

log = logging.getLogger(__name__)


def check_gates(seeds: dict[str, Any] | None, gates: dict[str, float]) -> list[str]:
    """Thresholds that the seed-set results miss (hybrid retrieval, extractive answers)."""
    if not seeds:
        return []
    hybrid = seeds["retrieval"].get("hybrid") or next(iter(seeds["retrieval"].values()))
    values = {"recall@5": hybrid["recall@5"], "mrr@10": hybrid["mrr@10"], **seeds["answers"]}
    failures = []
    for name, limit in gates.items():
        value = values[name]
        too_high = name == "false_refusals"
        if (value > limit) if too_high else (value < limit):
            failures.append(f"{name} {value:.3f} {'>' if too_high else '<'} {limit}")
    return failures


def run_eval(
    settings: Settings, *, dataset: str, modes: list[str], k: int, limit: int, out: Path | None, questions: Path,
    rgb_path: Path, noises: list[float], baseline: bool, gates: dict[str, float],
) -> tuple[str, list[str], Path]:
    """Run the datasets; returns (console summary, unmet thresholds, report path)."""
    started = time.perf_counter()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    progress = log.isEnabledFor(logging.INFO)
    seeds_result = rgb_result = None
    pipeline = load_pipeline(settings)
    if dataset in ("seeds", "both"):
        qs = load_questions(questions if questions.is_absolute() else PROJECT_ROOT / questions)[: limit or None]
        seeds_result = run_seed_suite(pipeline, qs, modes, k, progress)
        if baseline:
            from app.ingest import read_folder

            articles, _ = read_folder(settings.seeds_dir)
            seeds_result["baseline"] = run_baseline_seeds(articles, pipeline.embedder, qs, progress)
    if dataset in ("rgb", "both"):
        def pipeline_for(corpus: Path, index_dir: Path) -> Pipeline:
            rgb_settings = settings.model_copy(update={"seeds_dir": corpus, "index_dir": index_dir})
            build(rgb_settings, embedder=pipeline.embedder)
            return Pipeline(rgb_settings, pipeline.embedder, load_index(index_dir, pipeline.embedder.fingerprint))

        work = settings.cache_dir / "rgb" / pipeline.embedder.fingerprint.replace(":", "_")
        rgb_result = run_rgb_suite(pipeline_for, rgb_path, work, noises, limit, 10, progress, baseline=baseline)
    meta = {
        "started": stamp, "dataset": dataset, "model": pipeline.embedder.fingerprint,
        "seed passages": len(pipeline.index.chunks), "k": k, "seconds": round(time.perf_counter() - started, 1),
    }
    report = write_report(out or PROJECT_ROOT / "eval" / "reports" / stamp, meta, seeds_result, rgb_result)
    return console_summary(seeds_result, rgb_result), check_gates(seeds_result, gates), report
