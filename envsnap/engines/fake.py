"""An in-memory ContainerEngine for unit tests of build and replay logic (no daemon).

Builds hash the context folder (same context -> same image id, and "cached"); runs call a
behaviour function the test gives, which may write files where the container would (they land
in the bound host folders). Every started container is recorded and "removed" on the way out,
so tests can assert that nothing is left and exactly which specs ran. Not registered as an
engine name: the real engines are what users and the integration tests run.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Dict, List, Mapping, Optional, Sequence

from ..errors import EngineError
from ..events import BuildOutput, BuildStep, EventSink, discard
from .base import BuiltImage, CapturedRun, ImageInfo, OutputSink, PathLike, RunResult, RunSpec


@dataclass(frozen=True)
class FakeRun:
    """What a fake container does: its exit code, its output, the files it writes (by
    container path), and whether it 'hangs' until the timeout."""

    exit_code: int = 0
    output: str = ""
    stderr: str = ""
    files: Mapping[str, bytes] = field(default_factory=dict)
    hang: bool = False


Behaviour = Callable[[RunSpec], FakeRun]


def _idle(spec: RunSpec) -> FakeRun:
    return FakeRun()


def context_digest(context_dir: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(context_dir.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(context_dir).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


class FakeEngine:
    name = "fake"

    def __init__(self, behaviour: Behaviour = _idle, *, images: Sequence[str] = ("envsnap/debian:bookworm",),
                 fail_build: Optional[str] = None) -> None:
        self.behaviour = behaviour
        self.fail_build = fail_build  # an error message: every build fails with it
        self.images: Dict[str, ImageInfo] = {}
        for ref in images:
            self.add_image(ref)
        self.built: List[str] = []  # context digests, in build order
        self.runs: List[RunSpec] = []
        self.live: List[str] = []  # names of containers not removed (always empty after a call)
        self.saved: List[Path] = []

    def add_image(self, ref: str, *, labels: Optional[Mapping[str, str]] = None) -> ImageInfo:
        info = ImageInfo(id="sha256:" + hashlib.sha256(ref.encode()).hexdigest(), tags=[ref], repo_digests=[],
                         labels=dict(labels or {}))
        self.images[ref] = info
        return info

    def image_info(self, ref: str) -> Optional[ImageInfo]:
        return self.images.get(ref)

    def build(self, context_dir: PathLike, tag: str, *, build_args: Optional[Mapping[str, str]] = None,
              log_path: Optional[PathLike] = None, nocache: bool = False, network: Optional[str] = None,
              on_event: Optional[EventSink] = None) -> BuiltImage:
        emit = on_event or discard
        ctx = Path(context_dir)
        lines = [ln for ln in (ctx / "Dockerfile").read_text().splitlines() if ln and not ln.startswith(("#", " "))]
        for i, ln in enumerate(lines, 1):
            emit(BuildStep(tag, i, len(lines), ln))
            emit(BuildOutput(tag, f"Step {i}/{len(lines)} : {ln}"))
        if log_path is not None:
            Path(log_path).write_text("\n".join(lines) + "\n")
        if self.fail_build:
            raise EngineError(f"image build failed at step 1/{len(lines)}: {self.fail_build}",
                              log_tail=[self.fail_build])
        digest = context_digest(ctx)
        cached = digest in self.built and not nocache
        self.built.append(digest)
        self.images[tag] = ImageInfo(id="sha256:" + digest, tags=[tag], repo_digests=[])
        return BuiltImage(id="sha256:" + digest, tag=tag, log_path=Path(log_path) if log_path else None,
                          cached=cached, steps=len(lines), cached_steps=len(lines) if cached else 0)

    def _write(self, spec: RunSpec, files: Mapping[str, bytes]) -> None:
        """Files the container writes land in the host folder bound at their container path."""
        for cpath, data in files.items():
            target = PurePosixPath(cpath if cpath.startswith("/") else f"{spec.workdir or '/'}/{cpath}")
            for m in sorted(spec.mounts, key=lambda m: len(m.target), reverse=True):
                try:
                    rel = target.relative_to(m.target)
                except ValueError:
                    continue
                if m.read_only:
                    raise EngineError(f"fake container: {target} is on a read-only mount")
                host = Path(m.source, *rel.parts)
                host.parent.mkdir(parents=True, exist_ok=True)
                host.write_bytes(data)
                break

    def _check(self, spec: RunSpec) -> None:
        if spec.image not in self.images:
            raise EngineError(f"cannot run: image {spec.image} does not exist")
        for m in spec.mounts:
            if not os.path.exists(m.source):
                raise EngineError(f"cannot start a container from {spec.image}: bind source {m.source} missing")

    def run(self, spec: RunSpec, *, on_output: Optional[OutputSink] = None) -> RunResult:
        self._check(spec)
        name = spec.name or f"fake-{len(self.runs)}"
        self.runs.append(spec)
        self.live.append(name)
        try:
            what = self.behaviour(spec)
            self._write(spec, what.files)
            for ln in what.output.splitlines():
                if on_output:
                    on_output(ln)
            timed_out = what.hang and spec.timeout_s is not None
            return RunResult(exit_code=None if what.hang else what.exit_code, timed_out=timed_out,
                             interrupted=what.hang and not timed_out, log=what.output,
                             duration_s=spec.timeout_s or 0.0 if what.hang else 0.0, container_name=name)
        finally:
            self.live.remove(name)

    def run_captured(self, spec: RunSpec) -> CapturedRun:
        self._check(spec)
        self.runs.append(spec)
        what = self.behaviour(spec)
        return CapturedRun(None if what.hang else what.exit_code, what.output, what.stderr)

    def save(self, images: Sequence[str], path: PathLike) -> Path:
        for r in images:
            if r not in self.images:
                raise EngineError(f"cannot save {r}: no such image")
        target = Path(path)
        target.write_text(json.dumps({r: self.images[r].id for r in images}, sort_keys=True))
        self.saved.append(target)
        return target

    def load(self, path: PathLike) -> List[str]:
        refs = json.loads(Path(path).read_text())
        for r in refs:
            self.add_image(r)
        return sorted(refs)

    def remove_image(self, ref: str) -> None:
        self.images.pop(ref, None)

    def containers_with_label(self, label: str) -> List[str]:
        return list(self.live)

    def remove_containers(self, label: str) -> List[str]:
        gone, self.live = self.live, []
        return gone
