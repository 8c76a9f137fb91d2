"""The Snapshot value, its one reader, its one writer, and the one ``is_snapshot``.

Every other module takes a ``Snapshot``, never a folder: replay, diff and bisect work the
same on a snapshot read from disk and on one changed in memory (``with_manifest``). Member
files (code payload, outputs, metrics) are reached through ``member()``, which keeps every path
a snapshot names inside the snapshot's own folder.

The writer assembles a folder in a hidden sibling and renames it into place, so a reader never
sees half a snapshot and a failure leaves the previous one intact. ``--force`` replaces only a
folder envsnap wrote itself (it carries a marker), never the working folder or one of its
ancestors.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import List, Literal, Optional, Sequence, Type, Union

from ..errors import InputError, OutputError
from ..fsutil import parent_dir, write_bytes_atomic, write_text_atomic
from ..manifest_io import dumps, load_manifest, load_run
from ..model import CodeState, DataInput, FileRecord, Manifest, RunRecord
from ..redact import Redactor
from . import layout

Kind = Literal["capture", "snapshot", "replay"]


@dataclass(frozen=True)
class Snapshot:
    """A captured environment, and for runs the run record and where its files are."""

    manifest: Manifest
    run: Optional[RunRecord] = None
    root: Optional[Path] = None  # the folder holding the member files (None: only in memory)
    kind: Kind = "snapshot"
    name: Optional[str] = None  # how reports name it (default: its folder)

    @property
    def label(self) -> str:
        return self.name or (str(self.root) if self.root is not None else "(in memory)")

    @property
    def code(self) -> CodeState:
        return self.run.code if self.run else CodeState(kind="none")

    @property
    def data(self) -> List[DataInput]:
        return list(self.run.data) if self.run else []

    @property
    def outputs(self) -> List[FileRecord]:
        return list(self.run.outputs) if self.run else []

    def require_run(self) -> RunRecord:
        if self.run is None:
            raise InputError(self.label, "holds no run record: a capture, not a run (make one with `envsnap run`)")
        return self.run

    def with_manifest(self, manifest: Manifest) -> "Snapshot":
        """The same run in another environment (bisection replays changed manifests)."""
        return replace(self, manifest=manifest)

    def member(self, rel: str) -> Path:
        """The file ``rel`` of this snapshot; a name that would leave the folder is refused."""
        if self.root is None:
            raise InputError(rel, "this snapshot exists only in memory: it has no files")
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise InputError(self.root / layout.RUN, f"names a file outside the snapshot: {rel!r}")
        return self.root.joinpath(*pure.parts)

    def folder(self, rel: str) -> Optional[Path]:
        p = self.member(rel) if self.root is not None else None
        return p if p is not None and p.is_dir() else None

    def file(self, rel: str) -> Optional[Path]:
        p = self.member(rel) if self.root is not None else None
        return p if p is not None and p.is_file() else None


def is_snapshot(path: Union[str, Path]) -> bool:
    """A snapshot or replay folder: a manifest and a run record (a product, never code)."""
    p = Path(path)
    return p.is_dir() and (p / layout.MANIFEST).is_file() and (p / layout.RUN).is_file()


def read_snapshot(path: Union[str, Path]) -> Snapshot:
    """A snapshot/replay folder, a folder holding only a manifest, or a manifest file."""
    p = Path(path)
    if p.is_dir():
        if not (p / layout.MANIFEST).is_file() and not (p / layout.CAPTURE_FILE).is_file():
            raise InputError(p, "is not a snapshot folder (no manifest.json; make one with `envsnap run`)")
        name = layout.MANIFEST if (p / layout.MANIFEST).is_file() else layout.CAPTURE_FILE
        manifest = load_manifest(p / name)
        run = load_run(p / layout.RUN) if (p / layout.RUN).is_file() else None
        kind: Kind = "capture" if run is None else ("replay" if (p / layout.REPORT_JSON).is_file() else "snapshot")
        return Snapshot(manifest=manifest, run=run, root=p, kind=kind)
    if not p.exists():
        raise InputError(p, "no such file or folder")
    return Snapshot(manifest=load_manifest(p), run=None, root=None, kind="capture")


def _is_within(inner: Path, outer: Path) -> bool:
    inner, outer = inner.resolve(), outer.resolve()
    return inner == outer or outer in inner.parents


def check_replaceable(out: Path, *, force: bool, protect: Sequence[Path] = ()) -> None:
    """Refuse, before any slow work, an output folder that must not be written or replaced."""
    for p in [Path.cwd(), *protect]:
        if _is_within(p, out):
            what = "the current folder" if p == Path.cwd() else str(p)
            raise OutputError(out, f"would replace {what} (or a folder holding it); choose a new folder")
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputError(out, "exists and is not a folder")
    if not any(out.iterdir()):
        return
    if not force:
        raise OutputError(out, "already exists and is not empty (use --force to replace it)")
    if not (out / layout.MARKER).is_file():
        raise OutputError(out, "was not written by envsnap; --force replaces only envsnap's own folders")


class SnapshotWriter:
    """Fill ``staging``, then ``publish()``: the folder appears whole at ``out`` or not at all."""

    def __init__(self, out: Union[str, Path], *, kind: Kind, force: bool = False,
                 protect: Sequence[Path] = ()) -> None:
        self.out = Path(out).absolute()
        self.kind = kind
        check_replaceable(self.out, force=force, protect=protect)
        parent = parent_dir(self.out, writable=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".partial", dir=parent))
        self.published = False

    def __enter__(self) -> "SnapshotWriter":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        if not self.published:
            self.abort()

    def path(self, rel: str) -> Path:
        return self.staging.joinpath(*PurePosixPath(rel).parts)

    def write_text(self, rel: str, text: str) -> Path:
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        return write_text_atomic(target, text)

    def write_bytes(self, rel: str, data: bytes) -> Path:
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        return write_bytes_atomic(target, data)

    def write_manifest(self, manifest: Manifest, redactor: Optional[Redactor] = None) -> Path:
        return self.write_text(layout.MANIFEST, dumps(manifest, redactor))

    def write_run(self, run: RunRecord, redactor: Optional[Redactor] = None) -> Path:
        return self.write_text(layout.RUN, dumps(run, redactor))

    def publish(self) -> Path:
        """Rename the staging folder to ``out`` (replacing an envsnap folder there)."""
        for scratch in (layout.SCRATCH, layout.SHIM):
            shutil.rmtree(self.staging / scratch, ignore_errors=True)
        (self.staging / layout.MARKER).write_text(f"{self.kind}\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.staging, 0o777 & ~umask)  # mkdtemp made it private
        if self.out.exists():
            shutil.rmtree(self.out)
        os.replace(self.staging, self.out)
        self.published = True
        return self.out

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
