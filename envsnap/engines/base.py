"""The ContainerEngine boundary: what envsnap needs from Docker, Podman or any other engine.

Only value types cross it (no SDK objects), so an engine is one new module behind this
protocol, registered by name in ``registry.py``; build, replay and bisect never know which
one they talk to. Every failure a user can meet is an ``EngineError`` with one clear line and,
where it helps, the log tail. Containers started through ``run``/``run_captured`` are removed
whatever happens (exit, timeout, Ctrl-C).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple, Union

from ..events import EventSink

PathLike = Union[str, Path]

# Every container envsnap starts carries this label (value: the replay or build id), so that
# whatever is left after a crash can be found and removed.
LABEL = "dev.envsnap.replay"


@dataclass(frozen=True)
class Mount:
    source: str  # host path
    target: str  # path in the container
    read_only: bool = True


@dataclass(frozen=True)
class GpuRequest:
    """GPUs for a container: all of them, or the given host indices / UUIDs."""

    device_ids: Optional[Tuple[str, ...]] = None  # None: all

    @property
    def all(self) -> bool:
        return self.device_ids is None


@dataclass(frozen=True)
class RunSpec:
    """One container run, engine-neutral."""

    image: str
    command: Tuple[str, ...]
    mounts: Tuple[Mount, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    user: Optional[str] = None  # "uid:gid"
    network: Optional[str] = None  # None: the engine's default; "none": no network
    workdir: Optional[str] = None
    labels: Mapping[str, str] = field(default_factory=dict)
    name: Optional[str] = None
    gpus: Optional[GpuRequest] = None
    timeout_s: Optional[float] = None


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: List[str]
    repo_digests: List[str]  # name@sha256:...
    env: Dict[str, str] = field(default_factory=dict)  # Config.Env
    labels: Dict[str, str] = field(default_factory=dict)  # Config.Labels

    def digest_for(self, ref: str) -> Optional[str]:
        """The sha256 digest of ``ref``'s repository, when the engine knows one."""
        repo = ref.split("@", 1)[0]
        if ":" in repo.rsplit("/", 1)[-1]:
            repo = repo.rsplit(":", 1)[0]
        for rd in self.repo_digests:
            name, _, digest = rd.partition("@")
            if name == repo or name.endswith("/" + repo):
                return digest
        return None


@dataclass(frozen=True)
class BuiltImage:
    id: str
    tag: str
    log_path: Optional[Path]
    cached: bool  # every RUN/COPY/ADD step was served from the build cache
    steps: int
    cached_steps: int
    warnings: List[str] = field(default_factory=list)  # "envsnap-warning:" lines of the build


@dataclass(frozen=True)
class RunResult:
    exit_code: Optional[int]  # None: killed (timeout) or interrupted before it ended
    timed_out: bool
    interrupted: bool
    log: str  # stdout+stderr, scrubbed
    duration_s: float
    container_name: str


@dataclass(frozen=True)
class CapturedRun:
    exit_code: Optional[int]  # None: killed at the timeout
    stdout: str
    stderr: str


OutputSink = Callable[[str], None]


class ContainerEngine(Protocol):
    """A connected container engine."""

    @property
    def name(self) -> str: ...

    def image_info(self, ref: str) -> Optional[ImageInfo]: ...

    def build(self, context_dir: PathLike, tag: str, *, build_args: Optional[Mapping[str, str]] = None,
              log_path: Optional[PathLike] = None, nocache: bool = False, network: Optional[str] = None,
              on_event: Optional[EventSink] = None) -> BuiltImage:
        """Build ``context_dir``/Dockerfile as ``tag``; steps and output go to ``on_event``,
        the whole (scrubbed) log to ``log_path``."""
        ...

    def run(self, spec: RunSpec, *, on_output: Optional[OutputSink] = None) -> RunResult:
        """Run to completion (or ``spec.timeout_s``), streaming scrubbed lines to ``on_output``."""
        ...

    def run_captured(self, spec: RunSpec) -> CapturedRun:
        """A short run whose stdout and stderr come back apart (unscrubbed: the caller scrubs)."""
        ...

    def save(self, images: Sequence[str], path: PathLike) -> Path: ...

    def load(self, path: PathLike) -> List[str]:
        """Load an image archive written by ``save``; returns the loaded image names."""
        ...

    def remove_image(self, ref: str) -> None: ...

    def containers_with_label(self, label: str) -> List[str]: ...

    def remove_containers(self, label: str) -> List[str]:
        """Force-remove every container carrying ``label`` (best effort); returns their names."""
        ...
