"""Typed results of locking a manifest: what is pinned, from where, and what could not be."""
from __future__ import annotations

from typing import List, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

ArtifactKind = Literal["index", "wheelhouse", "url"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LockedPackage(_Model):
    """One distribution pinned to its exact version and artifact hash(es)."""

    name: str
    version: str  # exact, local label kept
    kind: ArtifactKind  # index: fetched from a remote index at build time; wheelhouse: in the context
    index_url: Optional[str] = None  # the remote index it resolves from (credentials stripped)
    url: Optional[str] = None  # direct URL (kind url) or the chosen index artifact's URL
    filename: Optional[str] = None  # the artifact (wheelhouse file name for kind wheelhouse)
    hashes: List[str] = Field(default_factory=list)  # "sha256:<hex>", sorted
    origin: str = ""  # where the artifact was found, for humans


class SkippedPackage(_Model):
    name: str
    version: str
    reason: str


class LockResult(_Model):
    """Everything render needs, file contents included, so rendering stays pure."""

    inputs_sha256: str  # digest of everything the lock depends on (lock/key.py)
    packages: List[LockedPackage] = Field(default_factory=list)
    skipped: List[SkippedPackage] = Field(default_factory=list)
    wheelhouse: List[str] = Field(default_factory=list)  # file names under wheelhouse/
    index_urls: List[str] = Field(default_factory=list)  # remote indexes the build needs; [] = air-gapped
    requirements_txt: str = ""
    pylock_toml: str = ""
    conda_lock_yml: Optional[str] = None
    warnings: List[str] = Field(default_factory=list)
    directory: Optional[str] = Field(default=None, exclude=True)  # where the files were written

    @property
    def needs_index(self) -> bool:
        return bool(self.index_urls)

    def wheelhouse_path(self, filename: str) -> str:
        if self.directory is None:
            raise ValueError("LockResult has no directory")
        return f"{self.directory}/wheelhouse/{filename}"
