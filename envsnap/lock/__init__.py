"""Locking: a manifest's packages -> hashed requirements, pylock.toml, conda-lock.yml, wheelhouse."""
from .cache import cached_lock
from .key import lock_key
from .lock import lock_manifest
from .model import LockedPackage, LockResult, SkippedPackage

__all__ = ["LockResult", "LockedPackage", "SkippedPackage", "cached_lock", "lock_key", "lock_manifest"]
