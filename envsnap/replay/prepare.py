"""Snapshot -> ReplayPlan: everything decided before an image is built or a container runs.

Cheap refusals live here (code that cannot be restored, changed data, a GPU host unfit), so
they fail before minutes of building. The plan is a plain value: the command, its working
folder in the container, the environment, the mounts and the GPU decision. The only files it
writes are the restored code (and the metrics shim) inside the replay's staging folder.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Sequence, Tuple

from ..agent.vocab import HOST_SPECIFIC_ENV
from ..build import paths
from ..engines.base import GpuRequest, Mount
from ..errors import DataMismatchError, EnvsnapError, UsageError
from ..model import Manifest, Nvidia, RunRecord
from ..snapshot import Snapshot, layout
from .gpu import GpuCheck, check_gpu_host, parse_gpus
from .options import ReplayOptions

_PYTHON_NAME = re.compile(r"python(\d+(\.\d+)?)?")


@dataclass(frozen=True)
class ReplayPlan:
    command: Tuple[str, ...]
    workdir: str  # the command's working folder in the container
    env: Dict[str, str]  # numerics variables (+ --env overrides): the environment being reproduced
    train_env: Dict[str, str]  # env plus what envsnap itself needs (metrics file, shim)
    mounts: Tuple[Mount, ...]  # code (rw) and inputs (ro)
    train_mounts: Tuple[Mount, ...]  # mounts plus the scratch folder and the shim
    user: str
    network: Optional[str]
    timeout_s: Optional[float]
    gpu: GpuCheck
    gpu_request: Optional[GpuRequest]
    workspace: Path  # host folder mounted at paths.WORKDIR
    restored_cwd: Path  # host path of ``workdir``
    scratch: Path  # host folder mounted at paths.RUN_DIR
    data_notes: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)


def container_command(argv: Sequence[str]) -> List[str]:
    """The image puts the captured venv first on PATH: a python named by a host path becomes `python`."""
    if argv and "/" in argv[0] and _PYTHON_NAME.fullmatch(os.path.basename(argv[0])):
        return ["python", *argv[1:]]
    return list(argv)


def numerics_env(run: RunRecord, manifest: Manifest, overrides: Dict[str, str]) -> Dict[str, str]:
    env = {k: v for k, v in {**manifest.numerics.env, **run.numerics_env}.items() if k not in HOST_SPECIFIC_ENV}
    env.update(overrides)
    return dict(sorted(env.items()))


def data_locations(snapshot: Snapshot, opts: ReplayOptions, restored_cwd: Path) -> List[Path]:
    """Where each recorded input is on this host."""
    run = snapshot.require_run()
    out: List[Path] = []
    for d in run.data:
        if opts.data_dir is not None:
            base = opts.data_dir
            out.append(base if len(run.data) == 1 else base / PurePosixPath(d.path).name)
            continue
        p = Path(d.path)
        if p.is_absolute():
            out.append(p)
            continue
        cands = [Path(run.cwd) / p, restored_cwd / p, Path.cwd() / p]
        out.append(next((c for c in cands if c.exists()), cands[0]))
    return out


def verify_data(run: RunRecord, locations: Sequence[Path], allow: bool) -> List[str]:
    from ..snapshot.data import compare

    notes: List[str] = []
    problems: List[str] = []
    for d, loc in zip(run.data, locations):
        change = compare(d, loc)
        if change is None:
            notes.append(f"{d.path}: verified ({len(d.files)} files, sha256 {d.digest[:12]}) at {loc}")
        else:
            problems.append(change.describe())
    if problems and not allow:
        raise DataMismatchError(
            "input data differs from the snapshot: " + " | ".join(problems)
            + " (use --allow-data-change to replay anyway, or --data-dir to point at the original data)"
        )
    return notes + [f"{p} (allowed by --allow-data-change)" for p in problems]


def _no_gpu() -> Nvidia:
    return Nvidia(status="skipped", reason="--gpus none")


def plan_replay(snapshot: Snapshot, opts: ReplayOptions, staging: Path, *, host_gpus: Optional[Nvidia] = None
                ) -> ReplayPlan:
    """Restore the code into ``staging``, verify the inputs, decide GPUs, env and mounts.
    ``host_gpus``: this host's NVML view (read when needed and not given)."""
    from ..run.shim import write_shim
    from ..snapshot.code import restore_code
    from .gpu import host_nvidia

    run = snapshot.require_run()
    manifest = snapshot.manifest
    try:
        gpu_ids = parse_gpus(opts.gpus)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    warnings: List[str] = []
    if run.partial:
        warnings.append("the original run was interrupted: its outputs are partial")
    if run.exit_code != 0:
        warnings.append(f"the original run exited with status {run.exit_code}")

    workspace = staging / layout.WORKSPACE
    restored_cwd = restore_code(snapshot, workspace, code_dir=opts.code_dir)
    if run.code.kind == "none":
        warnings.append("the snapshot holds no code state")
    locations = data_locations(snapshot, opts, restored_cwd)
    data_notes = verify_data(run, locations, opts.allow_data_change)
    host = host_gpus if host_gpus is not None else (host_nvidia() if gpu_ids != [] else _no_gpu())
    gpu = check_gpu_host(manifest, host, gpus=gpu_ids)
    if not gpu.ok:
        raise EnvsnapError("this host cannot replay the GPU run: " + "; ".join(gpu.refusals))
    warnings += gpu.warnings

    workdir = str(PurePosixPath(paths.WORKDIR) / (run.code.cwd if run.code.cwd not in ("", ".") else ""))
    workdir = workdir.rstrip("/") or paths.WORKDIR
    mounts = [Mount(str(workspace.resolve()), paths.WORKDIR, read_only=False)]
    for d, loc in zip(run.data, locations):
        target = d.path if PurePosixPath(d.path).is_absolute() else str(PurePosixPath(workdir) / d.path)
        mounts.append(Mount(str(loc.resolve()), str(PurePosixPath(target)), read_only=True))
    scratch = staging / layout.SCRATCH
    scratch.mkdir(exist_ok=True)
    env = numerics_env(run, manifest, opts.env)
    train_env = dict(env, ENVSNAP_METRICS_FILE=f"{paths.RUN_DIR}/{layout.METRICS}")
    train_mounts = [*mounts, Mount(str(scratch.resolve()), paths.RUN_DIR, read_only=False)]
    if manifest.package("envsnap") is None:
        shim = write_shim(staging / layout.SHIM)
        train_mounts.append(Mount(str(shim.resolve()), paths.SHIM_DIR, read_only=True))
        train_env["PYTHONPATH"] = paths.SHIM_DIR
    request = None
    if gpu.attach:
        request = GpuRequest(tuple(str(i) for i in gpu_ids) if gpu_ids else None)
    return ReplayPlan(
        command=tuple(container_command(run.argv)), workdir=workdir, env=env, train_env=train_env,
        mounts=tuple(mounts), train_mounts=tuple(train_mounts), user=f"{os.getuid()}:{os.getgid()}",
        network=opts.network, timeout_s=opts.timeout_s, gpu=gpu, gpu_request=request, workspace=workspace,
        restored_cwd=restored_cwd, scratch=scratch, data_notes=data_notes, warnings=warnings,
    )
