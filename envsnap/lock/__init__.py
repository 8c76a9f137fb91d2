"""Locking: a manifest's packages -> hashed requirements, pylock.toml, conda-lock.yml, wheelhouse."""
from .lock import lock_manifest, manifest_sha256
from .model import LockedPackage, LockResult, SkippedPackage

__all__ = ["LockResult", "LockedPackage", "SkippedPackage", "lock_manifest", "manifest_sha256"]
