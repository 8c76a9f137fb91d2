"""Declared outputs: glob patterns (relative to the run's cwd) -> files copied with hashes,
plus the JSONL/CSV files among them that look like per-step metrics."""
from __future__ import annotations

import csv
import glob
import json
import os
import shutil
from pathlib import Path
from typing import List, Sequence, Tuple

from ..errors import OutputError
from ..fsutil import write_text_atomic
from ..model import FileRecord
from ..redact import Redactor
from . import layout
from .data import file_record

STEP_KEYS = ("step", "epoch", "iter", "iteration", "global_step")


def match_outputs(cwd: Path, patterns: Sequence[str]) -> List[str]:
    """cwd-relative POSIX paths of the regular files the patterns name (a folder = all below)."""
    found: set = set()
    for pattern in patterns:
        full = pattern if os.path.isabs(pattern) else str(cwd / pattern)
        for hit in glob.glob(full, recursive=True):
            p = Path(hit)
            cands = [p] if p.is_file() else [q for q in p.rglob("*") if q.is_file()] if p.is_dir() else []
            for q in cands:
                try:
                    found.add(q.resolve().relative_to(cwd.resolve()).as_posix())
                except ValueError:
                    found.add(q.name)  # an absolute pattern outside cwd: keep the file name
    return sorted(found)


def _source(cwd: Path, rel: str, patterns: Sequence[str]) -> Path:
    p = cwd / rel
    if p.exists():
        return p
    for pattern in patterns:  # outside cwd: found by name under an absolute pattern
        if os.path.isabs(pattern):
            for hit in glob.glob(pattern, recursive=True):
                if Path(hit).name == rel:
                    return Path(hit)
    return p


def collect_outputs(
    cwd: Path, patterns: Sequence[str], dest: Path, *, exclude: Sequence[Path] = ()
) -> List[FileRecord]:
    """Copy matched files under ``dest`` (relative paths kept) and hash the copies.

    ``exclude``: folders never taken as outputs (the snapshot being written, say).
    """
    records: List[FileRecord] = []
    skip = [e.resolve() for e in exclude]
    for rel in match_outputs(cwd, patterns):
        src = _source(cwd, rel, patterns)
        if any(src.resolve() == s or s in src.resolve().parents for s in skip):
            continue
        target = dest / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
        except OSError as exc:
            raise OutputError(target, f"cannot copy output: {exc.strerror or exc}") from None
        records.append(file_record(target, rel))
    return records


def is_metrics_file(path: Path) -> bool:
    """A JSONL file of objects, or a CSV with a header, that has a step-like column."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.readline()
            if path.suffix == ".jsonl":
                row = json.loads(head)
                return isinstance(row, dict) and any(k in row for k in STEP_KEYS)
            if path.suffix == ".csv":
                header = next(csv.reader([head]), [])
                return any(h.strip().lower() in STEP_KEYS for h in header)
    except (OSError, ValueError):
        return False
    return False


def collect_outputs_with_metrics(
    cwd: Path,
    patterns: Sequence[str],
    folder: Path,
    metrics_path: Path,
    redactor: Redactor,
    *,
    exclude: Sequence[Path] = (),
) -> Tuple[List[FileRecord], List[str]]:
    """Outputs into ``folder``/outputs and the log_metrics JSONL into ``folder``/metrics.jsonl
    (shared by run and replay, so both sides of a diff are laid out alike)."""
    copied = collect_outputs(cwd, patterns, folder / layout.OUTPUTS, exclude=exclude)
    metrics: List[str] = []
    if metrics_path.exists() and metrics_path.stat().st_size:
        text = metrics_path.read_text(encoding="utf-8", errors="replace")
        write_text_atomic(folder / layout.METRICS, redactor.text(text))
        metrics.append(layout.METRICS)
    listed = [f"{layout.OUTPUTS}/{r.path}" for r in copied if is_metrics_file(folder / layout.OUTPUTS / r.path)]
    return copied, metrics + listed
