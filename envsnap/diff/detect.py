"""`envsnap diff A B` autodetection: two manifests, two snapshot folders, two output folders, two files."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from ..errors import InputError, UsageError
from ..manifest_io import load_manifest
from .envdiff import diff_manifests
from .folders import diff_outputs
from .loaders import is_manifest_json
from .results import EnvDiff, OutputsDiff, SnapshotDiff
from .snapshot import diff_snapshots, is_snapshot

DiffResult = Union[OutputsDiff, EnvDiff, SnapshotDiff]


def diff_paths(a: Path, b: Path, *, rtol: Optional[float] = None, atol: Optional[float] = None) -> DiffResult:
    for name, v in (("--rtol", rtol), ("--atol", atol)):
        if v is not None and not (v >= 0):
            raise UsageError(f"{name} must be a number >= 0, got {v}")
    for p in (a, b):
        if not p.exists():
            raise InputError(p, "no such file or folder")
    if a.is_dir() and b.is_dir():
        sa, sb = is_snapshot(a), is_snapshot(b)
        if sa and sb:
            return diff_snapshots(a, b, rtol=rtol, atol=atol)
        if sa != sb:
            plain, snap = (b, a) if sa else (a, b)
            raise InputError(plain, f"is not a snapshot folder (no manifest.json) but {snap} is; "
                                    f"compare {snap}/outputs with it instead")
        return diff_outputs(a, b, rtol=rtol, atol=atol)
    if a.is_dir() != b.is_dir():
        folder, other = (a, b) if a.is_dir() else (b, a)
        raise InputError(other, f"is a file but {folder} is a folder: give two files or two folders")
    ma, mb = is_manifest_json(a), is_manifest_json(b)
    if ma and mb:
        return diff_manifests(load_manifest(a), load_manifest(b), a_label=str(a), b_label=str(b))
    if ma != mb:
        manifest, data = (a, b) if ma else (b, a)
        raise InputError(data, f"is a data file but {manifest} is an envsnap manifest: cannot compare a manifest with data")
    return diff_outputs(a, b, rtol=rtol, atol=atol)
