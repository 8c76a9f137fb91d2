"""Locks cached by what they depend on, so an unchanged snapshot rebuilds without re-locking.

A lock depends only on the packages (names, versions, artifacts, where they came from), the pip
configuration that decides the indexes, the interpreter's tags and the lock options; never on
timestamps, probes or the environment. Published index files never change, and local artifacts
are copied into the cached wheelhouse (hash-verified when first locked), so a hit is as good as
a fresh lock. The cache entry is written to a temporary folder and renamed into place.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path

from pydantic import ValidationError

from ..fsutil import cache_dir
from ..model import Manifest
from .key import lock_key
from .lock import lock_manifest
from .model import LockResult


def _read(entry: Path) -> LockResult | None:
    try:
        result = LockResult.model_validate_json((entry / "lock-result.json").read_text())
    except (OSError, ValidationError, ValueError):
        return None
    if not all((entry / "wheelhouse" / fn).is_file() for fn in result.wheelhouse):
        return None
    return result.model_copy(update={"directory": str(entry)})


def cached_lock(manifest: Manifest, *, wheelhouse: bool = False) -> LockResult:
    """The lock of ``manifest`` from the cache, else locked now and cached."""
    key = lock_key(manifest, wheelhouse=wheelhouse)
    root = cache_dir("locks")
    root.mkdir(parents=True, exist_ok=True)
    entry = root / key[:32]
    hit = _read(entry)
    if hit is not None:
        return hit
    with open(root / f".{key[:32]}.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # one locker per key; the others then find the entry
        hit = _read(entry)
        if hit is not None:
            return hit
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=root))
        try:
            result = lock_manifest(manifest, tmp, wheelhouse=wheelhouse)
            # The full result (file contents included) is what render needs; directory excluded.
            (tmp / "lock-result.json").write_text(result.model_dump_json())
            if entry.exists():
                shutil.rmtree(entry)
            os.replace(tmp, entry)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return result.model_copy(update={"directory": str(entry)})
