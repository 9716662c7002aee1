"""`biaogan fit-answerer`: gather every development set, cross-validate, fit, write the model."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

from app.answer.scorer import PRIOR_FILE, SentenceModel, default_model, load_model
from app.config import PROJECT_ROOT, Settings
from app.evaluation.fitting import (
    BAGS,
    Group,
    as_facts,
    asked_groups,
    cross_validate,
    fit,
    question_groups,
    reading_groups,
    set_mean_top1,
    top1,
)
from app.evaluation.metrics import load_questions
from app.evaluation.run import pipeline_over
from app.pipeline import load_pipeline

log = logging.getLogger(__name__)


def _mean(figures: dict[str, dict[str, float]], key: str) -> float:
    return sum(f[key] for f in figures.values()) / len(figures) if figures else 0.0


# RGB questions are asked of its whole corpus, as `biaogan eval --dataset rgb` asks them (end to end,
# 10 passages): the rank of a passage is then retrieval's, as the answerer meets it (its reader
# protocol hands over passages in random order, where rank says nothing).
RGB_K = 10


def dev_groups(settings: Settings, root: Path, rgb_limit: int, whole: SentenceModel | None, progress: bool) -> list[Group]:
    """Every development set's questions as fitting groups: the bundled and held-out sets and news-dev
    over their indexes, CMRC with its paragraph, RGB over its corpus (the first rgb_limit questions)."""
    from app.evaluation.devsets import cmrc_items, news_dev_folder, news_dev_questions
    from app.evaluation.rgb import load_rgb, write_corpus

    pipeline = load_pipeline(settings)
    groups = question_groups(pipeline, "seeds", load_questions(PROJECT_ROOT / "eval" / "seeds_qa.jsonl"), progress, whole)
    groups += question_groups(pipeline, "holdout", load_questions(PROJECT_ROOT / "eval" / "holdout_qa.jsonl"), progress, whole)
    work = settings.cache_dir / "eval" / pipeline.embedder.fingerprint.replace(":", "_")
    news = pipeline_over(settings, pipeline, news_dev_folder(root, "news-dev"), work / "news-dev")
    groups += question_groups(news, "news-dev", news_dev_questions(root), progress, whole)
    cmrc = [(i.id, i.question, [i.context], [list(i.answers)]) for i in cmrc_items(root)]
    groups += reading_groups("cmrc", cmrc, pipeline.similarity, progress, whole)
    if rgb_limit:
        everything = load_rgb(root / "rgb-zh" / "zh_refine.json")
        rgb_dir = settings.cache_dir / "rgb" / pipeline.embedder.fingerprint.replace(":", "_")  # where `biaogan eval` keeps it
        write_corpus(everything, rgb_dir / "corpus")
        rgb = pipeline_over(settings, pipeline, rgb_dir / "corpus", rgb_dir / "index")
        items = [(str(item.id), item.query, as_facts(item.answer)) for item in everything[:rgb_limit]]
        groups += asked_groups(rgb, "rgb", items, progress, whole, k=RGB_K)
    return groups


# A refit relabels with the model it just fitted, for the labels judge each lead's answer with the
# other quotes ranked by a model, and the model being fitted is the one that should rank them. It
# stops at a model that no fit beats on its own labels: when the new fit's top-1 is no higher than the
# ranking model's on the labels that model made (the ranking model is kept), or when no weight moved
# by CLOSE (the smallest step) or more.
CLOSE = 0.01


def refit(
    groups_for: Callable[[SentenceModel | None], list[Group]], whole: SentenceModel | None, prior: SentenceModel,
    min_gains: list[float], passes: int, bags: int,
) -> tuple[SentenceModel, list[Group], dict[float, dict[str, dict[str, float]]], float, list[dict[str, Any]]]:
    """Label with `whole` ranking the other quotes (None: quote labels, one pass), fit, and relabel with
    the fit, for up to `passes` passes or until the fit stops improving on its ranking model: the model,
    the last pass's groups, its cross-validation by least gain, the least gain chosen, and each pass's
    record."""
    history: list[dict[str, Any]] = []
    for number in range(1, max(1, passes) + 1):
        groups = groups_for(whole)
        # The least gain a step must bring is chosen by cross-validation: the mean over sets of top-1 on
        # the held-out set, ties going to the smaller gain (the fit that keeps more of what the data shows).
        runs = {g: cross_validate(groups, prior, g, bags) for g in min_gains}
        min_gain = max(runs, key=lambda k: (round(_mean(runs[k], "top1_cv"), 6), -k))
        model = fit(groups, prior, min_gain, bags)
        fitted, ranking = set_mean_top1(model, groups), set_mean_top1(whole, groups) if whole is not None else None
        kept = ranking is not None and fitted <= ranking
        history.append({
            "pass": number, "ranked_by": [round(float(w), 6) for w in whole.weights] if whole is not None else None,
            "min_gain": min_gain, "weights": [round(float(w), 6) for w in model.weights], "top1_cv_mean": round(_mean(runs[min_gain], "top1_cv"), 4),
            "top1_fitted": round(fitted, 4), "top1_ranking_model": None if ranking is None else round(ranking, 4), "kept_ranking_model": kept,
        })
        log.info("pass %d: %s, top-1 %.4f (ranking model %s)", number, {n: round(float(w), 3) for n, w in zip(model.names, model.weights) if w}, fitted, ranking)
        if whole is None:
            break
        if kept:
            model = whole
            break
        if float(np.max(np.abs(model.weights - whole.weights))) < CLOSE:
            break
        whole = model
    return model, groups, runs, min_gain, history


def run_fit(
    settings: Settings, out: Path | None, rgb_limit: int, benchmarks: Path | None, min_gains: list[float], prior_path: Path | None,
    labels: str = "answer", rank_by: Path | None = None, passes: int = 3, bags: int | None = None,
) -> tuple[str, Path]:
    """Fit on every development set. labels="answer": a candidate is right when the answer it leads is
    right, the other quotes ranked by the model at `rank_by` (by default the shipped model) and then,
    for up to `passes` passes, by the model the last pass fitted, until the weights stop moving;
    "quote": when it holds half the key facts itself (one pass)."""
    from app.config import BENCHMARKS

    bags = bags or BAGS
    prior = load_model(prior_path or PROJECT_ROOT / "app" / "data" / PRIOR_FILE)
    shipped = default_model()
    whole = (load_model(rank_by) if rank_by else shipped) if labels == "answer" else None
    progress = log.isEnabledFor(logging.INFO)
    model, groups, runs, min_gain, history = refit(
        lambda ranker: dev_groups(settings, benchmarks or BENCHMARKS, rgb_limit, ranker, progress), whole, prior, min_gains, passes, bags,
    )
    figures = runs[min_gain]
    for name, f in figures.items():
        f["top1_shipped"] = round(top1(shipped, [g for g in groups if g.dataset == name]), 4)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    model = type(model)(model.names, model.weights, model.bias, {
        "fitted": stamp, "command": "biaogan fit-answerer", "questions": len(groups), "min_gain": min_gain, "labels": labels,
        "bags": bags, "passes": history,
        "prior": {"features": list(prior.names), "weights": [round(float(w), 6) for w in prior.weights]},
        "cross_validation": figures, "top1_all_sets": round(top1(model, groups), 4),
        "cross_validation_by_min_gain": {str(k): {s: f["top1_cv"] for s, f in v.items()} for k, v in runs.items()},
    })
    path = out or PROJECT_ROOT / "eval" / "reports" / f"answer_model-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    lines = [f"{len(history)} labelling pass(es); weights fitted at each: "
             + "; ".join(str({n: round(w, 3) for n, w in zip(model.names, h["weights"]) if w})
                         + (" (no better than the model ranking its labels, which is kept)" if h["kept_ranking_model"] else "") for h in history), ""]
    lines += [f"least gain per step {min_gain} (mean cross-validated top-1 by least gain: "
             + ", ".join(f"{k}: {_mean(v, 'top1_cv'):.3f}" for k, v in runs.items()) + ")", ""]
    lines += ["| set | questions | top-1 where the fit starts | top-1 shipped model | top-1 fitted on the other sets |", "|---|---|---|---|---|"]
    lines += [f"| {name} | {f['questions']} | {f['top1_prior']:.3f} | {f['top1_shipped']:.3f} | {f['top1_cv']:.3f} |" for name, f in figures.items()]
    lines.append(f"| mean | | {_mean(figures, 'top1_prior'):.3f} | {_mean(figures, 'top1_shipped'):.3f} | {_mean(figures, 'top1_cv'):.3f} |")
    lines += ["", "| feature | weight |", "|---|---|"] + [f"| {n} | {w:+.3f} |" for n, w in zip(model.names, model.weights)]
    lines.append(f"| (bias) | {model.bias:+.3f} |")
    return "\n".join(lines), path
