"""What every command of the command line shares: settings from its flags, output a terminal cannot be
driven by, logging, and BiaoganError shown as 'error: … / hint: …' with exit 1."""

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

from app.errors import BiaoganError

SeedsOpt = Annotated[Optional[Path], typer.Option("--seeds", help="Articles folder (default: BIAOGAN_SEEDS_DIR or seeds/).")]
IndexOpt = Annotated[Optional[Path], typer.Option("--index", help="Index folder (default: BIAOGAN_INDEX_DIR or index/).")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="Embedding model (default: BIAOGAN_EMBED_MODEL or the bundled e5).")]


def settings_from(seeds: Path | None = None, index: Path | None = None, model: str | None = None, **extra: object):  # type: ignore[no-untyped-def]
    from app.config import Settings

    overrides = {"seeds_dir": seeds, "index_dir": index, "embed_model": model, **extra}
    return Settings(**{key: value for key, value in overrides.items() if value is not None})


# C0 and C1 control characters but tab and newline: an article or file name must not be able to
# drive the terminal (clear it, retitle it, move the cursor) through what biaogan prints.
_TERMINAL_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_text(text: str) -> str:
    """Text with the control characters a terminal would act on removed."""
    return _TERMINAL_UNSAFE.sub("", text)


def echo(text: str = "", *, err: bool = False) -> None:
    typer.echo(safe_text(text), err=err)


def json_text(data: object, indent: int | None = None) -> str:
    """JSON for the terminal: json escapes C0 characters itself; C1 ones are escaped here."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


class SafeFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return safe_text(super().format(record))


def setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("%(levelname).1s %(name)s: %(message)s" if verbose else "%(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("app").setLevel(level)


def friendly(command: Callable[..., None]) -> Callable[..., None]:
    """Show BiaoganError as 'error: … / hint: …' and exit 1; anything else is a bug and keeps its traceback."""

    @functools.wraps(command)
    def wrapper(*args: object, **kwargs: object) -> None:
        try:
            command(*args, **kwargs)
        except BiaoganError as exc:
            echo(f"error: {exc.message}", err=True)
            if exc.hint:
                echo(f"hint: {exc.hint}", err=True)
            raise typer.Exit(1) from None

    return wrapper
