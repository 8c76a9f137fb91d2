"""The typed, versioned data that flows between envsnap's stages.

A Manifest is what `capture` writes; every section says whether it was collected
(`status`) and, when not, why (`reason`): partial failure is a value, never a crash.
All models are frozen; (de)serialisation goes through ``envsnap.manifest_io``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

Status = Literal["ok", "skipped", "error"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Section(Model):
    status: Status = "ok"
    reason: Optional[str] = None  # why skipped / what failed


# --- envsnap bookkeeping -------------------------------------------------------------------

class EnvsnapInfo(Model):
    version: str
    created_at: str  # RFC 3339, UTC
    command: List[str] = Field(default_factory=list)  # envsnap's own argv, scrubbed
    durations_ms: Dict[str, float] = Field(default_factory=dict)  # per section
    skipped: Dict[str, str] = Field(default_factory=dict)  # section -> reason (skipped or error)


# --- host and OS ---------------------------------------------------------------------------

class Host(Section):
    arch: Optional[str] = None
    hostname: Optional[str] = None
    kernel: Optional[str] = None
    container: Optional[str] = None  # docker, podman, lxc, kubernetes, ... or None
    virtualization: Optional[str] = None  # kvm, vmware, ... from cpu flags / DMI


class SystemPackage(Model):
    name: str
    version: str
    arch: Optional[str] = None


class OSInfo(Section):
    id: Optional[str] = None
    version_id: Optional[str] = None
    codename: Optional[str] = None
    pretty_name: Optional[str] = None
    libc: Optional[str] = None  # "glibc 2.36"
    package_manager: Optional[Literal["dpkg", "rpm", "apk"]] = None
    packages: List[SystemPackage] = Field(default_factory=list)  # owners of loaded shared libs
    packages_scope: Optional[str] = None  # what `packages` covers


# --- Python and packages -------------------------------------------------------------------

class PipConfig(Model):
    index_url: Optional[str] = None
    extra_index_urls: List[str] = Field(default_factory=list)
    find_links: List[str] = Field(default_factory=list)
    trusted_hosts: List[str] = Field(default_factory=list)
    sources: Dict[str, str] = Field(default_factory=dict)  # setting -> where it came from


class PythonInfo(Section):
    implementation: Optional[str] = None
    version: Optional[str] = None  # "3.11.7"
    build: Optional[str] = None  # sys.version
    executable: Optional[str] = None
    prefix: Optional[str] = None
    base_prefix: Optional[str] = None
    env_kind: Optional[Literal["venv", "virtualenv", "conda", "system"]] = None
    platform: Optional[str] = None  # sysconfig.get_platform()
    soabi: Optional[str] = None
    tags: List[str] = Field(default_factory=list)  # most specific wheel tags first
    pip_version: Optional[str] = None
    pip_config: PipConfig = Field(default_factory=PipConfig)


HashSource = Literal["direct_url", "conda", "index", "wheelhouse", "local_file", "pip_cache"]


class ArtifactHash(Model):
    algorithm: str  # sha256, md5
    value: str
    source: HashSource
    filename: Optional[str] = None


SourceKind = Literal["index", "url", "vcs", "local", "editable", "conda", "unknown"]


class Package(Model):
    name: str  # PEP 503 normalized
    version: str  # exact, local label kept
    installer: Optional[str] = None
    requested: Optional[bool] = None
    source: SourceKind = "unknown"
    index_url: Optional[str] = None
    direct_url: Optional[Dict[str, Any]] = None  # PEP 610 verbatim (credentials scrubbed)
    wheel_tags: List[str] = Field(default_factory=list)
    editable: bool = False
    hashes: List[ArtifactHash] = Field(default_factory=list)
    location: Optional[str] = None
    broken: Optional[str] = None  # why the distribution could not be read fully


class CondaPackage(Model):
    name: str
    version: str
    build: Optional[str] = None
    channel: Optional[str] = None
    subdir: Optional[str] = None
    url: Optional[str] = None
    md5: Optional[str] = None
    sha256: Optional[str] = None


class Packages(Section):
    python: List[Package] = Field(default_factory=list)
    conda: List[CondaPackage] = Field(default_factory=list)
    conda_prefix: Optional[str] = None


# --- hardware ------------------------------------------------------------------------------

class CPU(Section):
    model: Optional[str] = None
    vendor: Optional[str] = None
    arch: Optional[str] = None
    family: Optional[int] = None
    model_id: Optional[int] = None
    stepping: Optional[int] = None
    isa: List[str] = Field(default_factory=list)  # numerics-relevant flags (avx2, fma, avx512*, amx*)
    flags: List[str] = Field(default_factory=list)  # all flags
    cores_logical: Optional[int] = None
    cores_physical: Optional[int] = None
    cores_available: Optional[int] = None  # affinity / cgroup
    caches: Dict[str, str] = Field(default_factory=dict)
    memory_total_bytes: Optional[int] = None


class GPU(Model):
    index: int
    name: Optional[str] = None
    uuid: Optional[str] = None
    compute_capability: Optional[str] = None  # "8.0"
    architecture: Optional[str] = None  # Ampere, Hopper...
    memory_total_bytes: Optional[int] = None
    mig_mode: Optional[str] = None
    ecc_mode: Optional[str] = None
    persistence_mode: Optional[str] = None
    power_limit_w: Optional[float] = None
    clocks_mhz: Dict[str, int] = Field(default_factory=dict)
    pci_bus_id: Optional[str] = None
    errors: Dict[str, str] = Field(default_factory=dict)  # field -> why it could not be read


class Nvidia(Section):
    driver_version: Optional[str] = None
    cuda_driver_version: Optional[str] = None  # "12.4"
    nvml_version: Optional[str] = None
    gpus: List[GPU] = Field(default_factory=list)
    cuda_visible_devices: Optional[str] = None


class FrameworkCuda(Model):
    framework: str  # torch, jax, cupy, tensorflow
    version: Optional[str] = None
    cuda: Optional[str] = None  # CUDA runtime the framework was built with / loaded
    cudnn: Optional[str] = None
    nccl: Optional[str] = None
    how: Literal["static", "loaded"] = "static"  # read from files vs. imported
    error: Optional[str] = None


class Cuda(Section):
    frameworks: List[FrameworkCuda] = Field(default_factory=list)
    source: Optional[Literal["pip-wheels", "system", "conda", "none"]] = None
    nvidia_wheels: Dict[str, str] = Field(default_factory=dict)  # nvidia-* package -> version
    system_toolkit: Optional[str] = None  # e.g. "/usr/local/cuda-12.4 (12.4)"
    loaded_libraries: List[str] = Field(default_factory=list)


class BlasLibrary(Model):
    user_api: Optional[str] = None  # blas / openmp
    internal_api: Optional[str] = None  # openblas, mkl, blis, openmp
    prefix: Optional[str] = None
    filepath: Optional[str] = None
    version: Optional[str] = None
    num_threads: Optional[int] = None
    threading_layer: Optional[str] = None
    architecture: Optional[str] = None


class Blas(Section):
    libraries: List[BlasLibrary] = Field(default_factory=list)
    numpy_config: Optional[Dict[str, Any]] = None
    loaded_with: List[str] = Field(default_factory=list)  # modules imported to see them


class Numerics(Section):
    env: Dict[str, str] = Field(default_factory=dict)  # numerics-relevant env vars that are set
    flags: Dict[str, Any] = Field(default_factory=dict)  # "torch.backends.cuda.matmul.allow_tf32": false


class Git(Section):
    commit: Optional[str] = None
    branch: Optional[str] = None
    dirty: Optional[bool] = None
    patch_bytes: Optional[int] = None
    patch_sha256: Optional[str] = None
    untracked: List[str] = Field(default_factory=list)
    remote: Optional[str] = None
    root: Optional[str] = None


# --- probes --------------------------------------------------------------------------------

class ProbeResult(Model):
    id: str  # stable, e.g. "cpu.blas.fma_dot"
    version: int
    framework: str  # numpy, torch, jax, cupy
    device: Literal["cpu", "gpu"]
    status: Literal["ok", "skipped", "failed"]
    reason: Optional[str] = None
    value: Optional[str] = None  # the decoded, readable result ("FP32", "ftz=off daz=off")
    fingerprint: Optional[str] = None  # hash of the raw output bytes
    stable: Optional[bool] = None  # identical on the in-process rerun
    ms: Optional[float] = None
    details: Dict[str, Any] = Field(default_factory=dict)


class Probes(Section):
    results: List[ProbeResult] = Field(default_factory=list)


# --- the manifest --------------------------------------------------------------------------

class Manifest(Model):
    schema_version: int = SCHEMA_VERSION
    envsnap: EnvsnapInfo
    host: Host = Field(default_factory=Host)
    os: OSInfo = Field(default_factory=OSInfo)
    python: PythonInfo = Field(default_factory=PythonInfo)
    packages: Packages = Field(default_factory=Packages)
    cpu: CPU = Field(default_factory=CPU)
    nvidia: Nvidia = Field(default_factory=Nvidia)
    cuda: Cuda = Field(default_factory=Cuda)
    blas: Blas = Field(default_factory=Blas)
    numerics: Numerics = Field(default_factory=Numerics)
    env: Dict[str, str] = Field(default_factory=dict)  # all variables, secrets redacted
    git: Git = Field(default_factory=Git)
    probes: Probes = Field(default_factory=lambda: Probes(status="skipped", reason="not run"))

    def used_gpu(self) -> bool:
        """Did the run use a GPU? A framework loaded CUDA (the probes saw it), or GPUs were there
        and a framework was built with CUDA. A GPU host running CPU-only code does not count.
        The one definition: the image's NVIDIA settings and replay's GPU decision both use it."""
        loaded = any(f.cuda for f in self.cuda.frameworks if f.how == "loaded")
        return loaded or (bool(self.nvidia.gpus) and any(f.cuda for f in self.cuda.frameworks))

    def package(self, name: str) -> Optional[Package]:
        from .pkgname import normalize

        key = normalize(name)
        return next((p for p in self.packages.python if p.name == key), None)


# --- runs ----------------------------------------------------------------------------------

class FileRecord(Model):
    path: str  # relative, POSIX separators
    size: int
    sha256: str


class DataInput(Model):
    path: str  # as declared by the user (relative to cwd when possible)
    kind: Literal["file", "dir"]
    files: List[FileRecord] = Field(default_factory=list)
    total_bytes: int = 0
    digest: str  # sha256 over the sorted (path, sha256) list


class CodeState(Model):
    kind: Literal["git", "tarball", "none"]
    root: Optional[str] = None  # original working directory root
    commit: Optional[str] = None
    branch: Optional[str] = None
    dirty: Optional[bool] = None
    remote: Optional[str] = None
    patch: Optional[str] = None  # file in the snapshot holding the uncommitted diff
    tarball: Optional[str] = None  # file in the snapshot holding the working tree
    sha256: Optional[str] = None  # of the patch or tarball
    cwd: str = "."  # the run's cwd, relative to root


class RunRecord(Model):
    schema_version: int = SCHEMA_VERSION
    argv: List[str]  # scrubbed
    cwd: str
    started_at: str
    ended_at: str
    duration_s: float
    exit_code: int
    peak_rss_bytes: Optional[int] = None
    code: CodeState
    data: List[DataInput] = Field(default_factory=list)
    outputs: List[FileRecord] = Field(default_factory=list)  # copied under outputs/
    output_patterns: List[str] = Field(default_factory=list)
    metrics: List[str] = Field(default_factory=list)  # metric files (JSONL/CSV) under outputs/ or metrics.jsonl
    log: Optional[str] = "log.txt"
    partial: bool = False
    numerics_env: Dict[str, str] = Field(default_factory=dict)
