"""conda-lock.yml from the manifest's conda-meta records, through conda-lock's own models.

Every record is exact (url + md5/sha256 from conda-meta), so no solve is needed: the lock is a
transcription. Packages without a url or hash cannot be locked and are returned as skipped.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ..model import CondaPackage


def render_conda_lock(
    packages: Sequence[CondaPackage], *, platform: str, inputs_sha256: str
) -> Tuple[Optional[str], List[Tuple[str, str, str]]]:
    """Return (conda-lock.yml text or None, [(name, version, why skipped)])."""
    from conda_lock.lockfile import write_conda_lock_file
    from conda_lock.lockfile.v1.models import HashModel, LockMeta
    from conda_lock.lockfile.v2prelim.models import LockedDependency, Lockfile
    from conda_lock.models.channel import Channel

    skipped: List[Tuple[str, str, str]] = []
    deps = []
    channels: List[str] = []
    for p in sorted(packages, key=lambda p: p.name):
        if not p.url or not (p.md5 or p.sha256):
            skipped.append((p.name, p.version, "conda-meta record has no url or hash"))
            continue
        if p.channel and p.channel not in channels:
            channels.append(p.channel)
        deps.append(LockedDependency(
            name=p.name, version=p.version, manager="conda", platform=p.subdir or platform,
            dependencies={}, url=p.url, hash=HashModel(md5=p.md5, sha256=p.sha256), build=p.build,
            categories={"main"},
        ))
    if not deps:
        return None, skipped
    platforms = sorted({d.platform for d in deps if d.platform != "noarch"} or {platform})
    meta = LockMeta(
        content_hash=dict.fromkeys(platforms, inputs_sha256),
        channels=[Channel.from_string(c) for c in channels],
        platforms=platforms,
        sources=["manifest.json"],
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "conda-lock.yml"
        write_conda_lock_file(Lockfile(package=deps, metadata=meta), path, metadata_choices=(), include_help_text=False)
        return path.read_text(), skipped
