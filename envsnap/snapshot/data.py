"""Input data fingerprints: streamed sha256 per file, one digest per declared input.

Recorded by ``run`` and checked again by ``replay`` before anything runs, so a changed data
file is named instead of silently producing different numbers.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ..errors import InputError
from ..model import DataInput, FileRecord

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                h.update(chunk)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    return h.hexdigest()


def file_record(path: Path, rel: str) -> FileRecord:
    return FileRecord(path=rel, size=path.stat().st_size, sha256=sha256_file(path))


def _walk_files(root: Path) -> List[Path]:
    out: List[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        out.extend(Path(dirpath) / f for f in sorted(filenames))
    return sorted(out, key=lambda p: p.relative_to(root).as_posix())


def digest_of(files: Sequence[FileRecord]) -> str:
    h = hashlib.sha256()
    for f in sorted(files, key=lambda r: r.path):
        h.update(f"{f.path}\0{f.sha256}\n".encode())
    return h.hexdigest()


def display_path(path: Path, cwd: Path) -> str:
    """As the user will recognise it: relative to the run's cwd when inside it."""
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix() or "."
    except ValueError:
        return str(path.resolve())


def fingerprint(path: Path, cwd: Path, *, declared: Optional[str] = None) -> DataInput:
    """Hash a declared input file or folder (symlinks followed, like the training would)."""
    full = path if path.is_absolute() else cwd / path
    if not full.exists():
        raise InputError(declared or path, "no such file or directory (--data)")
    name = declared if declared is not None else display_path(full, cwd)
    if full.is_file():
        rec = file_record(full, full.name)
        return DataInput(path=name, kind="file", files=[rec], total_bytes=rec.size, digest=digest_of([rec]))
    files = [file_record(p, p.relative_to(full).as_posix()) for p in _walk_files(full)]
    return DataInput(
        path=name, kind="dir", files=files, total_bytes=sum(f.size for f in files), digest=digest_of(files)
    )


@dataclass(frozen=True)
class DataChange:
    input: str
    changed: List[str]  # files whose content differs
    missing: List[str]
    added: List[str]

    def describe(self, limit: int = 5) -> str:
        parts = []
        for label, names in (("changed", self.changed), ("missing", self.missing), ("added", self.added)):
            if names:
                shown = ", ".join(names[:limit]) + (f" (+{len(names) - limit} more)" if len(names) > limit else "")
                parts.append(f"{label}: {shown}")
        return f"{self.input}: " + "; ".join(parts)


def compare(recorded: DataInput, location: Path) -> Optional[DataChange]:
    """None when ``location`` holds exactly the recorded files; otherwise what differs."""
    if not location.exists():
        return DataChange(recorded.path, [], [f.path for f in recorded.files] or [recorded.path], [])
    current = fingerprint(location, location.parent, declared=recorded.path)
    if current.digest == recorded.digest:
        return None
    if recorded.kind == "file" and current.kind == "file":
        return DataChange(recorded.path, [recorded.path], [], [])
    want: Dict[str, str] = {f.path: f.sha256 for f in recorded.files}
    have: Dict[str, str] = {f.path: f.sha256 for f in current.files}

    def full(p: str) -> str:
        return f"{recorded.path.rstrip('/')}/{p}"

    return DataChange(
        recorded.path,
        changed=[full(p) for p in sorted(want) if p in have and have[p] != want[p]],
        missing=[full(p) for p in sorted(want) if p not in have],
        added=[full(p) for p in sorted(have) if p not in want],
    )
