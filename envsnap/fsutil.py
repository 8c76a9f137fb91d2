"""Where envsnap writes, and how: atomic writes (a reader never sees a half-written file, a
failure leaves the old one), the checks that refuse a bad output location before any slow
work, and envsnap's cache folder."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Union

from .errors import OutputError

PathLike = Union[str, "os.PathLike[str]"]


def write_bytes_atomic(path: PathLike, data: bytes, *, force: bool = True, mode: int = 0o644) -> Path:
    """Write via a temp file in the same directory, fsync, then rename over ``path``."""
    target = Path(path)
    if not force and target.exists():
        raise OutputError(target, "already exists (use --force to overwrite)")
    parent = parent_dir(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise OutputError(target, f"cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise OutputError(target, f"cannot write: {exc.strerror or exc}") from None
    return target


def write_text_atomic(path: PathLike, text: str, *, force: bool = True) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"), force=force)


def parent_dir(target: Path, *, writable: bool = False) -> Path:
    """The folder ``target`` goes into; it must exist (and, if asked, be writable)."""
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(target, f"directory {parent} does not exist")
    if writable and not os.access(parent, os.W_OK):
        raise OutputError(target, f"directory {parent} is not writable")
    return parent


def check_writable(path: PathLike, *, force: bool) -> Path:
    """Fail early (before any slow work) when the file ``path`` cannot be written."""
    target = Path(path)
    if target.is_dir():
        raise OutputError(target, "is a directory")
    if target.exists() and not force:
        raise OutputError(target, "already exists (use --force to overwrite)")
    parent_dir(target, writable=True)
    return target


def check_output_folder(out: Path, *, force: bool) -> None:
    """An output folder may be new, empty, or replaced with --force; never a file."""
    if out.exists():
        if not out.is_dir():
            raise OutputError(out, "exists and is not a folder")
        if any(out.iterdir()) and not force:
            raise OutputError(out, "already exists and is not empty (use --force to replace it)")


def cache_dir(*parts: str) -> Path:
    """envsnap's cache folder (XDG_CACHE_HOME, else ~/.cache), not created here."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "envsnap", *parts)
