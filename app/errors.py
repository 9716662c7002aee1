"""Errors that reach the user: a message saying what went wrong and a hint saying what to do."""

from __future__ import annotations


class BiaoganError(Exception):
    """Base class for errors the CLI and UI show to users (never with a traceback)."""

    hint: str = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(BiaoganError):
    """The user's question, flag or file cannot be used."""


class SeedsError(BiaoganError):
    """The seeds folder is missing, empty or holds nothing readable."""

    hint = "put .txt, .md, .html or .docx articles in the folder, or pass --seeds DIR"


class IndexMissing(BiaoganError):
    hint = "run `biaogan index`"


class IndexCorrupt(BiaoganError):
    hint = "run `biaogan index --rebuild`"


class IndexOutdated(BiaoganError):
    hint = "run `biaogan index --rebuild`"


class IndexFormatChanged(IndexOutdated):
    """The index was written by an older version of biaogan; it is rebuilt on first use."""


class ModelUnavailable(BiaoganError):
    """The embedding model cannot be built or loaded."""
