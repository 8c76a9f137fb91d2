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
from ..snapshot import layout, read_snapshot
from .snapshot import diff_snapshots


def _snapshot_like(p: Path) -> bool:
    """A snapshot/replay folder, or a folder holding just a manifest (a capture)."""
    return p.is_dir() and ((p / layout.MANIFEST).is_file() or (p / layout.RUN).is_file())

DiffResult = Union[OutputsDiff, EnvDiff, SnapshotDiff]


def diff_paths(a: Path, b: Path, *, rtol: Optional[float] = None, atol: Optional[float] = None) -> DiffResult:
    for name, v in (("--rtol", rtol), ("--atol", atol)):
        if v is not None and not (v >= 0):
            raise UsageError(f"{name} must be a number >= 0, got {v}")
    for p in (a, b):
        if not p.exists():
            raise InputError(p, "no such file or folder")
    if a.is_dir() and b.is_dir():
        sa, sb = _snapshot_like(a), _snapshot_like(b)
        if sa and sb:
            return _diff_snapshot_folders(a, b, rtol=rtol, atol=atol)
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


def _diff_snapshot_folders(a: Path, b: Path, *, rtol: Optional[float], atol: Optional[float]) -> DiffResult:
    """A replay whose in-container capture failed has run.json but no manifest.json: its numbers
    are still compared, against the other side's environment, with a note."""
    have_a, have_b = (a / layout.MANIFEST).is_file(), (b / layout.MANIFEST).is_file()
    if have_a and have_b:
        return diff_snapshots(read_snapshot(a), read_snapshot(b), rtol=rtol, atol=atol)
    if not (have_a or have_b):
        raise InputError(a, f"neither {a} nor {b} holds a {layout.MANIFEST}: compare their outputs/ folders instead")
    full, partial = (a, b) if have_a else (b, a)
    from ..manifest_io import load_run
    from ..snapshot import Snapshot

    ref = read_snapshot(full)
    other = Snapshot(manifest=ref.manifest, run=load_run(partial / layout.RUN), root=partial, kind="replay")
    sa, sb = (ref, other) if have_a else (other, ref)
    return diff_snapshots(sa, sb, rtol=rtol, atol=atol, environment=False, missing_env=str(partial))
