"""The command line: biaogan index | ask | serve here; bench and load (app/bench/commands.py), eval,
check-claims and fit-answerer (app/evaluation/commands.py) added to it. Errors as in app/console.py."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from app.bench.commands import commands as bench_commands
from app.console import IndexOpt, ModelOpt, SeedsOpt, echo, friendly, json_text, settings_from, setup_logging
from app.errors import BiaoganError, InputError
from app.evaluation.commands import commands as evaluation_commands

app = typer.Typer(add_completion=False, no_args_is_help=True, help="biaogan (标杆): cited answers from Zhengzhou's 三标 coverage.")
log = logging.getLogger("app.cli")
app.add_typer(bench_commands)
app.add_typer(evaluation_commands)


@app.callback()
def _main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logging.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Warnings and errors only.")] = False,
) -> None:
    setup_logging(verbose, quiet)


@app.command()
@friendly
def index(seeds: SeedsOpt = None, index: IndexOpt = None, model: ModelOpt = None,
          rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-embed every article.")] = False) -> None:
    """Build or update the index: only new or changed articles are embedded."""
    from app.pipeline import build

    report = build(settings_from(seeds, index, model), rebuild=rebuild)
    typer.echo(
        f"indexed {len(report.added) + len(report.changed) + len(report.unchanged)} articles "
        f"({len(report.added)} new, {len(report.changed)} changed, {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed), {report.chunks} passages, {report.embedded} embedded, in {report.seconds:.1f} s"
    )
    for skipped in report.skipped:
        echo(f"skipped {skipped.source}: {skipped.reason}", err=True)


@app.command()
@friendly
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
    pipeline = load_pipeline(settings_from(seeds, index, model))
    if jsonl:
        _ask_lines(pipeline, k, mode, filters)
        return
    answer = pipeline.ask(question or "", k=k, mode=mode, filters=filters)
    if docx:
        from app.answer.briefing import to_docx

        echo(f"wrote {to_docx([answer], docx)}", err=True)
    if as_json or output == "json":
        typer.echo(json_text(answer.to_dict(), indent=2))
        return
    from app.answer.briefing import source_line, to_markdown

    if output == "briefing":
        echo(to_markdown(answer))
        return
    echo(answer.text)
    for notice in answer.notices:
        echo(f"注意：{notice}")
    if answer.resolved_question:
        echo(f"（理解为：{answer.resolved_question}）")
    for citation in answer.citations:
        echo("\n" + source_line(citation))


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
        typer.echo(json_text(row))


@app.command()
@friendly
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on (localhost by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 7860,
    share: Annotated[bool, typer.Option("--share", help="Ask Gradio for a public share link (off by default).")] = False,
    seeds: SeedsOpt = None, index: IndexOpt = None, model: ModelOpt = None,
) -> None:
    """Open the chat page (builds the index first if there is none). The page sends no usage data
    (gr.Blocks(analytics_enabled=False) in app/ui/layout.py)."""
    _limit_malloc_arenas()
    from app.limits import server_middleware
    from app.pipeline import load_pipeline
    from app.ui.conversations import ConversationStore
    from app.ui.layout import launch_options, sign_in_message
    from app.ui.page import build_ui

    settings = settings_from(seeds, index, model)
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


def main() -> None:
    app()


if __name__ == "__main__":  # `python -m app.cli` runs this checkout without installing it
    main()
