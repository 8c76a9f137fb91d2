"""Two snapshot or replay folders: outputs/, metrics.jsonl and manifest.json (see PREAMBLE layout).

The verdict is numeric (outputs and metrics); the environment diff explains it and does not
change the exit code.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from ..errors import InputError
from ..manifest_io import load_manifest
from .envdiff import diff_manifests
from .files import compare_files
from .folders import diff_outputs
from .results import FileDiff, SnapshotDiff, Verdict

MANIFEST = "manifest.json"
METRICS = "metrics.jsonl"
OUTPUTS = "outputs"


def is_snapshot(path: Path) -> bool:
    return path.is_dir() and (path / MANIFEST).is_file()


def diff_snapshots(a: Path, b: Path, *, rtol: Optional[float] = None, atol: Optional[float] = None) -> SnapshotDiff:
    a, b = Path(a), Path(b)
    for p in (a, b):
        if not p.is_dir():
            raise InputError(p, "is not a snapshot folder")
    notes: List[str] = []
    outputs = None
    oa, ob = a / OUTPUTS, b / OUTPUTS
    if oa.is_dir() or ob.is_dir():
        if oa.is_dir() and ob.is_dir():
            outputs = diff_outputs(oa, ob, rtol=rtol, atol=atol)
        else:
            missing = b if oa.is_dir() else a
            notes.append(f"{missing} has no {OUTPUTS}/ folder")
            outputs = _one_sided_outputs(oa if oa.is_dir() else ob, "a" if oa.is_dir() else "b", a, b)
    metrics = None
    ma, mb = a / METRICS, b / METRICS
    if ma.is_file() and mb.is_file():
        metrics = compare_files(ma, mb, name=METRICS, rtol=rtol, atol=atol, strict=False)
    elif ma.is_file() or mb.is_file():
        side = "a" if ma.is_file() else "b"
        metrics = FileDiff(path=METRICS, verdict=Verdict.STRUCTURAL_MISMATCH, bytes_equal=False,
                           only_in=side, note=f"only in {side.upper()}")  # type: ignore[arg-type]
    env = None
    if (a / MANIFEST).is_file() and (b / MANIFEST).is_file():
        env = diff_manifests(load_manifest(a / MANIFEST), load_manifest(b / MANIFEST), a_label=str(a), b_label=str(b))
    else:
        notes.append("environment not compared: manifest.json missing in " + " and ".join(
            str(p) for p in (a, b) if not (p / MANIFEST).is_file()))
    if outputs is None and metrics is None:
        notes.append("no outputs/ and no metrics.jsonl on either side: no numbers to compare")
    return SnapshotDiff(a=str(a), b=str(b), outputs=outputs, metrics=metrics, env=env, notes=notes)


def _one_sided_outputs(folder: Path, side: str, a: Path, b: Path):
    from .results import OutputsDiff

    files = [FileDiff(path=p.relative_to(folder).as_posix(), verdict=Verdict.STRUCTURAL_MISMATCH, bytes_equal=False,
                      only_in=side, note=f"only in {side.upper()}")  # type: ignore[arg-type]
             for p in sorted(folder.rglob("*")) if p.is_file()]
    return OutputsDiff(a=str(a / OUTPUTS), b=str(b / OUTPUTS), files=files)
