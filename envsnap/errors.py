"""One error root, caught once at the CLI boundary (exit code 2).

Each subclass carries the context a user needs to act: the file, the value, the log tail.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence


class EnvsnapError(Exception):
    """A user-facing failure: one clear line, exit code 2, no traceback."""

    exit_code = 2

    def __init__(self, message: str, *, detail: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail  # multi-line context (e.g. a log tail), printed after the line


class UsageError(EnvsnapError):
    """A bad option value or combination."""


class InputError(EnvsnapError):
    """A file or value given by the user cannot be used."""

    def __init__(self, path: Path | str, problem: str, *, detail: Optional[str] = None) -> None:
        super().__init__(f"{path}: {problem}", detail=detail)
        self.path = str(path)


class OutputError(EnvsnapError):
    """Something cannot be written where the user asked."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)


class InterpreterError(EnvsnapError):
    """The target interpreter is missing, not Python, or its agent failed."""


class EngineError(EnvsnapError):
    """Docker engine unreachable, build failed, container failed."""

    def __init__(self, message: str, *, log_tail: Sequence[str] = (), detail: Optional[str] = None) -> None:
        tail = "\n".join(log_tail) if log_tail else None
        super().__init__(message, detail=detail or tail)
        self.log_tail = list(log_tail)


class DataMismatchError(EnvsnapError):
    """Input data differs from the fingerprints recorded in the snapshot."""
