"""Two snapshots (or replays): outputs/, metrics.jsonl and the manifests.

The verdict is numeric (outputs and metrics); the environment diff explains it and does not
change the exit code. Takes Snapshot values: their files are reached through the value.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from ..snapshot import Snapshot, layout
from .envdiff import diff_manifests
from .files import compare_files
from .folders import diff_outputs
from .results import FileDiff, OutputsDiff, SnapshotDiff, Verdict


def diff_snapshots(a: Snapshot, b: Snapshot, *, rtol: Optional[float] = None, atol: Optional[float] = None,
                   environment: bool = True, missing_env: Optional[str] = None) -> SnapshotDiff:
    """``environment=False``: one side (named by ``missing_env``) has no captured environment (a
    replay whose in-container capture failed); outputs and metrics are still compared."""
    notes: List[str] = []
    outputs = None
    oa, ob = a.folder(layout.OUTPUTS), b.folder(layout.OUTPUTS)
    if oa is not None and ob is not None:
        outputs = diff_outputs(oa, ob, rtol=rtol, atol=atol)
    elif oa is not None or ob is not None:
        missing = b if oa is not None else a
        notes.append(f"{missing.label} has no {layout.OUTPUTS}/ folder")
        present = oa if oa is not None else ob
        assert present is not None
        outputs = _one_sided_outputs(present, "a" if oa is not None else "b", a, b)
    metrics = None
    ma, mb = a.file(layout.METRICS), b.file(layout.METRICS)
    if ma is not None and mb is not None:
        metrics = compare_files(ma, mb, name=layout.METRICS, rtol=rtol, atol=atol, strict=False)
    elif ma is not None or mb is not None:
        side = "a" if ma is not None else "b"
        metrics = FileDiff(path=layout.METRICS, verdict=Verdict.STRUCTURAL_MISMATCH, bytes_equal=False,
                           only_in=side, note=f"only in {side.upper()}")  # type: ignore[arg-type]
    env = None
    if environment:
        env = diff_manifests(a.manifest, b.manifest, a_label=a.label, b_label=b.label)
    else:
        notes.append(f"environment not compared: {missing_env or b.label} has no captured environment "
                     f"({layout.MANIFEST})")
    if outputs is None and metrics is None:
        notes.append(f"no {layout.OUTPUTS}/ and no {layout.METRICS} on either side: no numbers to compare")
    return SnapshotDiff(a=a.label, b=b.label, outputs=outputs, metrics=metrics, env=env, notes=notes)


def _one_sided_outputs(folder: Path, side: str, a: Snapshot, b: Snapshot) -> OutputsDiff:
    files = [FileDiff(path=p.relative_to(folder).as_posix(), verdict=Verdict.STRUCTURAL_MISMATCH, bytes_equal=False,
                      only_in=side, note=f"only in {side.upper()}")  # type: ignore[arg-type]
             for p in sorted(folder.rglob("*")) if p.is_file()]
    return OutputsDiff(a=f"{a.label}/{layout.OUTPUTS}", b=f"{b.label}/{layout.OUTPUTS}", files=files)
