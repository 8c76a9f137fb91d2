"""Compare a replay with its original: the numeric diff of outputs and metrics, the ranked
environment differences, and the causes worth naming."""
from __future__ import annotations

from typing import Optional

from ..diff.results import SnapshotDiff
from ..diff.snapshot import diff_snapshots
from ..snapshot import Snapshot


def compare(original: Snapshot, replayed: Snapshot, *, rtol: Optional[float] = None, atol: Optional[float] = None,
            environment: bool = True) -> SnapshotDiff:
    return diff_snapshots(original, replayed, rtol=rtol, atol=atol, environment=environment,
                          missing_env=replayed.label)
