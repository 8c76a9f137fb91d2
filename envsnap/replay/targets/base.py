"""The ReplayTarget protocol: run a planned replay in a built image somewhere, and say what
happened. The local container (local.py) is the first; a cluster target submits the same plan
as a job. Targets run the command and the in-container capture; they never compare or report."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol

from ...engines.base import RunResult
from ...events import EventSink
from ...model import Manifest
from ..prepare import ReplayPlan


@dataclass(frozen=True)
class Execution:
    result: RunResult  # the command's exit, log, duration, timeout/interrupt
    manifest: Optional[Manifest]  # the environment captured inside the container (None: see error)
    capture_error: Optional[str] = None


class ReplayTarget(Protocol):
    @property
    def name(self) -> str: ...

    def execute(self, plan: ReplayPlan, image: str, *, on_event: EventSink) -> Execution: ...
