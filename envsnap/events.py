"""Progress and log lines as values: every stage reports through an ``EventSink``; only the CLI
renders them (envsnap/cli/render.py). Nothing below the CLI prints.

Kept small on purpose: a stage announces itself (``Stage``), long work says how far it is
(``Progress``), builds report their steps (``BuildStep``) and output (``BuildOutput``), the
replayed command's output streams as ``CommandOutput``, and anything a user should read but
that is no error is a ``Notice``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Optional, Union


@dataclass(frozen=True)
class Stage:
    """A stage starts: "building the image of snap/", "running `python train.py`"."""

    message: str


@dataclass(frozen=True)
class Progress:
    """How far a long step is (``total`` None when unknown)."""

    what: str
    done: int
    total: Optional[int] = None
    unit: str = ""


@dataclass(frozen=True)
class BuildStep:
    """An image build moved to its next instruction."""

    image: str
    index: int
    total: int
    instruction: str


@dataclass(frozen=True)
class BuildOutput:
    """One (scrubbed) line of build output."""

    image: str
    line: str


@dataclass(frozen=True)
class CommandOutput:
    """One (scrubbed) line the replayed command wrote."""

    line: str


@dataclass(frozen=True)
class Notice:
    level: Literal["info", "warning"]
    message: str


Event = Union[Stage, Progress, BuildStep, BuildOutput, CommandOutput, Notice]
EventSink = Callable[[Event], None]


def discard(event: Event) -> None:
    """The sink of library callers that want no progress."""


class Recorder:
    """A sink that keeps every event (tests, and callers that render afterwards)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]
