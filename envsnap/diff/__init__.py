"""Numeric verdicts for outputs and ranked differences between environments.

    diff_outputs(a, b, rtol=None, atol=None) -> OutputsDiff     two files or two folders
    diff_manifests(a, b) -> EnvDiff                             two Manifest objects
    diff_snapshots(a, b, rtol=None, atol=None) -> SnapshotDiff  two Snapshot values

Every result has ``.verdict`` and ``.exit_code``; envsnap.report.diff_* render them.
"""
from .envdiff import diff_manifests
from .folders import diff_outputs
from .results import (ArrayDiff, Difference, EnvDiff, FileDiff, OutputsDiff, SeriesDiff, Severity,
                      SnapshotDiff, Verdict)
from .snapshot import diff_snapshots

__all__ = [
    "diff_outputs", "diff_manifests", "diff_snapshots", "OutputsDiff", "EnvDiff", "SnapshotDiff",
    "FileDiff", "ArrayDiff", "SeriesDiff", "Difference", "Verdict", "Severity",
]
