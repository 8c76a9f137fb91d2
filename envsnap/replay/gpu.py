"""Can this host replay a GPU run? Driver vs the captured CUDA major, GPU architecture vs captured.

Pure functions of two Nvidia sections (captured, host), so they are tested with NVML values
recorded on real GPUs. Refusals are things that cannot work (no GPU, a driver too old for the
CUDA the run loaded); warnings are things that work but may change the numbers (another
architecture or model: cuBLAS/cuDNN pick kernels per architecture and SM count).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

from ..model import GPU, Manifest, Nvidia

# Minimum Linux driver for each CUDA major (NVIDIA's CUDA toolkit release notes, table 3).
MIN_DRIVER = {11: 450, 12: 525, 13: 580}


@dataclass(frozen=True)
class GpuCheck:
    used: bool  # the original run used a GPU
    attach: bool  # give the replay container GPUs
    refusals: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refusals


def captured_cuda_major(m: Manifest) -> Optional[int]:
    for f in m.cuda.frameworks:
        if f.cuda:
            mt = re.match(r"(\d+)", f.cuda)
            if mt:
                return int(mt.group(1))
    for name, version in m.cuda.nvidia_wheels.items():
        if name.startswith("nvidia-cuda-runtime"):
            mt = re.match(r"(\d+)", version)
            if mt:
                return int(mt.group(1))
    return None


def driver_major(version: Optional[str]) -> Optional[int]:
    mt = re.match(r"(\d+)", version or "")
    return int(mt.group(1)) if mt else None


def parse_gpus(spec: str) -> Optional[List[int]]:
    """--gpus: 'all' -> None (all), 'none' -> [], '0,1' -> [0, 1]."""
    s = spec.strip().lower()
    if s == "all":
        return None
    if s == "none":
        return []
    try:
        return [int(x) for x in s.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--gpus {spec!r}: expected all, none or a list of indices like 0,1") from None


def _arch(g: GPU) -> str:
    return f"{g.name or 'GPU'} (compute capability {g.compute_capability or '?'}" + (
        f", {g.architecture})" if g.architecture else ")")


def check_gpu_host(captured: Manifest, host: Nvidia, *, gpus: Optional[Sequence[int]] = None) -> GpuCheck:
    """``gpus``: None = all, [] = none (--gpus none), else the host indices to attach."""
    used = captured.used_gpu()
    if gpus is not None and len(gpus) == 0:
        warn = ["--gpus none: the run used a GPU; replaying on the CPU will not reproduce its numbers"] if used else []
        return GpuCheck(used, False, [], warn)
    if not used:
        return GpuCheck(False, False)
    refusals: List[str] = []
    warnings: List[str] = []
    if host.status != "ok" or not host.gpus:
        why = host.reason or "NVML reports no GPU"
        refusals.append(
            f"the run used a GPU but this host has none usable ({why}); use --gpus none to replay on CPU anyway"
        )
        return GpuCheck(used, False, refusals, warnings)
    chosen = [g for g in host.gpus if gpus is None or g.index in gpus]
    missing = sorted(set(gpus or []) - {g.index for g in host.gpus})
    if missing:
        refusals.append(
            f"--gpus names GPU {', '.join(map(str, missing))} but this host has "
            f"{len(host.gpus)} GPU(s) (indices 0-{len(host.gpus) - 1})"
        )
    major = captured_cuda_major(captured)
    have = driver_major(host.driver_version)
    if major is not None and have is not None:
        need = MIN_DRIVER.get(major)
        if need is None and major > max(MIN_DRIVER):
            warnings.append(
                f"the run used CUDA {major}.x, newer than envsnap knows; driver {host.driver_version} may be too old"
            )
        elif need is not None and have < need:
            refusals.append(
                f"the run used CUDA {major}.x, which needs NVIDIA driver >= {need}; this host has "
                f"{host.driver_version} (supports CUDA up to {host.cuda_driver_version or '?'})"
            )
    elif major is not None:
        warnings.append(
            "the host driver version could not be read; cannot check it against CUDA "
            f"{major}.x (needs >= {MIN_DRIVER.get(major, '?')})"
        )
    orig = captured.nvidia.gpus
    if orig and chosen:
        want_cc = {g.compute_capability for g in orig}
        have_cc = {g.compute_capability for g in chosen}
        if want_cc != have_cc:
            warnings.append(
                "GPU architecture differs: captured "
                + ", ".join(sorted({_arch(g) for g in orig}))
                + "; this host "
                + ", ".join(sorted({_arch(g) for g in chosen}))
                + ": cuBLAS/cuDNN choose other kernels, expect small differences"
            )
        elif {g.name for g in orig} != {g.name for g in chosen}:
            warnings.append(
                f"GPU model differs ({', '.join(sorted({g.name or '?' for g in orig}))} -> "
                f"{', '.join(sorted({g.name or '?' for g in chosen}))}) on the same architecture: "
                "another SM count can change cuBLAS results"
            )
        if len(chosen) != len(orig):
            warnings.append(f"{len(orig)} GPU(s) captured, {len(chosen)} attached: data-parallel runs may differ")
    if (
        orig
        and captured.nvidia.driver_version
        and host.driver_version
        and captured.nvidia.driver_version != host.driver_version
    ):
        warnings.append(f"driver {captured.nvidia.driver_version} -> {host.driver_version}")
    return GpuCheck(used, not refusals, refusals, warnings)


def host_nvidia() -> Nvidia:
    """What NVML says about this host's GPUs (skipped section when there is no driver)."""
    from ..agent import gpu

    raw = gpu.nvidia()
    try:
        return Nvidia.model_validate(raw)
    except Exception as exc:  # noqa: BLE001 - a host without a usable driver is a value
        return Nvidia(status="error", reason=f"NVML: {exc}")
