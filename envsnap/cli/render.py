"""Rendering events for a person at a terminal (or a log, when stderr is not a terminal).

The only place progress becomes text: stages and notices as ``envsnap: ...`` lines on stderr,
image builds as a live spinner with the current step (plain step lines when not a terminal),
the replayed command's output on stdout as it arrives.
"""
from __future__ import annotations

import sys
from types import TracebackType
from typing import Optional, Type

from rich.console import Console
from rich.markup import escape
from rich.status import Status

from ..events import BuildOutput, BuildStep, CommandOutput, Event, Notice, Progress, Stage


class EventRenderer:
    def __init__(self, *, quiet: bool = False, console: Optional[Console] = None) -> None:
        self.quiet = quiet  # the replayed command's output is not shown
        self.console = console or Console(stderr=True, highlight=False)
        self._status: Optional[Status] = None
        self._step = ""

    def __enter__(self) -> "EventRenderer":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.close()

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def _live(self, text: str) -> None:
        if self._status is None:
            self._status = self.console.status(text, spinner="dots")
            self._status.start()
        else:
            self._status.update(text)

    def _line(self, text: str) -> None:
        self.close()
        self.console.print(text, markup=False, soft_wrap=True)

    def __call__(self, event: Event) -> None:
        if isinstance(event, BuildStep):
            self._step = f"step {event.index}/{event.total}: {event.instruction[:90]}"
            if self.console.is_terminal:
                self._live(f"[bold]{escape(event.image)}[/] {escape(self._step)}")
            else:
                self.console.print(self._step, markup=False, soft_wrap=True)
        elif isinstance(event, BuildOutput):
            if self.console.is_terminal:
                self._live(f"[bold]{escape(event.image)}[/] {escape(self._step)}\n  {escape(event.line[:110])}")
        elif isinstance(event, Progress):
            total = f"/{event.total}" if event.total is not None else ""
            text = f"{event.what}: {event.done}{total}{(' ' + event.unit) if event.unit else ''}"
            if self.console.is_terminal:
                self._live(escape(text))
        elif isinstance(event, CommandOutput):
            if not self.quiet:
                self.close()
                sys.stdout.write(event.line + "\n")
                sys.stdout.flush()
        elif isinstance(event, Stage):
            self._line(f"envsnap: {event.message}")
        elif isinstance(event, Notice):
            self._line(f"envsnap: {'warning: ' if event.level == 'warning' else ''}{event.message}")
