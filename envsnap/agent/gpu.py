"""NVIDIA driver and GPUs through NVML, and the CUDA stack the frameworks use.

NVML comes from pynvml (nvidia-ml-py): the target's own copy if it has one, else the copy
bundled with the agent. Every NVML call is guarded on its own: MIG, ECC, clocks and
persistence are unsupported on many cards, and one field failing must not drop the GPU.
"""
import json
import os
import re

from .util import read_text, skipped

_ARCH = {2: "Kepler", 3: "Maxwell", 4: "Pascal", 5: "Volta", 6: "Turing", 7: "Ampere", 8: "Ada",
         9: "Hopper", 10: "Blackwell", 13: "Rubin"}
_MODE = {0: "disabled", 1: "enabled"}


def _text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def import_pynvml():
    try:
        import pynvml  # the target's own
        return pynvml
    except Exception:  # noqa: BLE001
        pass
    try:
        from ._vendor import pynvml  # bundled by envsnap.agent_runtime
        return pynvml
    except Exception:  # noqa: BLE001
        return None


def collect_nvml(nv):
    """Read driver and GPUs through an initialised-or-not NVML module ``nv``."""
    try:
        nv.nvmlInit()
    except Exception as exc:  # noqa: BLE001 - no driver, no library: a skip, not an error
        return skipped("NVML unavailable: %s" % (_text(exc) or type(exc).__name__))
    gpus = []  # type: list
    out = {"gpus": gpus, "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}
    try:
        for key, fn, conv in (
            ("driver_version", "nvmlSystemGetDriverVersion", _text),
            ("nvml_version", "nvmlSystemGetNVMLVersion", _text),
            ("cuda_driver_version", "nvmlSystemGetCudaDriverVersion",
             lambda v: "%d.%d" % (v // 1000, (v % 1000) // 10)),
        ):
            try:
                out[key] = conv(getattr(nv, fn)())
            except Exception:  # noqa: BLE001
                out[key] = None
        try:
            count = nv.nvmlDeviceGetCount()
        except Exception as exc:  # noqa: BLE001
            return {"status": "error", "reason": "nvmlDeviceGetCount: %s" % _text(exc)}
        for i in range(count):
            gpus.append(_gpu(nv, i))
    finally:
        try:
            nv.nvmlShutdown()
        except Exception:  # noqa: BLE001
            pass
    return out


def _gpu(nv, index):
    gpu = {"index": index, "errors": {}, "clocks_mhz": {}}
    try:
        h = nv.nvmlDeviceGetHandleByIndex(index)
    except Exception as exc:  # noqa: BLE001
        gpu["errors"]["handle"] = _text(exc)
        return gpu

    def field(name, fn, conv=lambda v: v):
        try:
            gpu[name] = conv(fn(h))
        except Exception as exc:  # noqa: BLE001
            gpu["errors"][name] = _text(exc) or type(exc).__name__

    field("name", nv.nvmlDeviceGetName, _text)
    field("uuid", nv.nvmlDeviceGetUUID, _text)
    field("compute_capability", nv.nvmlDeviceGetCudaComputeCapability, lambda v: "%d.%d" % tuple(v))
    field("architecture", nv.nvmlDeviceGetArchitecture, lambda v: _ARCH.get(v, "unknown(%s)" % v))
    field("memory_total_bytes", nv.nvmlDeviceGetMemoryInfo, lambda v: int(v.total))
    field("mig_mode", nv.nvmlDeviceGetMigMode, lambda v: _MODE.get(v[0], str(v[0])))
    field("ecc_mode", nv.nvmlDeviceGetEccMode, lambda v: _MODE.get(v[0], str(v[0])))
    field("persistence_mode", nv.nvmlDeviceGetPersistenceMode, lambda v: _MODE.get(v, str(v)))
    field("power_limit_w", nv.nvmlDeviceGetPowerManagementLimit, lambda v: v / 1000.0)
    field("pci_bus_id", nv.nvmlDeviceGetPciInfo, lambda v: _text(v.busId))
    for label, clock in (("graphics_max", 0), ("sm_max", 1), ("memory_max", 2)):
        try:
            gpu["clocks_mhz"][label] = int(nv.nvmlDeviceGetMaxClockInfo(h, clock))
        except Exception as exc:  # noqa: BLE001
            gpu["errors"]["clocks_mhz." + label] = _text(exc) or type(exc).__name__
    return gpu


def _driver_library_present():
    """Cheap check before importing pynvml: a 6000-line module, compiled afresh on every run
    where the agent directory is read-only (a container mount)."""
    import ctypes
    import sys
    if sys.platform.startswith("win"):
        return True  # let pynvml search its Windows locations
    for name in ("libnvidia-ml.so.1", "libnvidia-ml.so"):
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def nvidia():
    if not _driver_library_present():
        return skipped("no NVIDIA driver: libnvidia-ml.so.1 not found")
    nv = import_pynvml()
    if nv is None:
        return skipped("pynvml not available")
    return collect_nvml(nv)


def _static_version(path, names):
    """Read ``name = 'x'`` assignments from a framework's version file without importing it
    (importing torch costs seconds; its version.py says what CUDA it was built for)."""
    text = read_text(path)
    out = {}
    if text:
        for n in names:
            m = re.search(r"^%s\s*(?::\s*\w[\w\[\], ]*)?=\s*['\"]?([^'\"\n]*)['\"]?" % re.escape(n), text, re.M)
            if m:
                v = m.group(1).strip()
                out[n] = None if v in ("None", "") else v
    return out


def cuda(packages, libs, site_dirs):
    frameworks = []
    by_name = {p["name"]: p for p in packages}
    for d in site_dirs:
        if "torch" in by_name and os.path.isfile(os.path.join(d, "torch", "version.py")):
            v = _static_version(os.path.join(d, "torch", "version.py"), ["__version__", "cuda", "hip"])
            frameworks.append({"framework": "torch", "version": v.get("__version__") or by_name["torch"]["version"],
                               "cuda": v.get("cuda"), "how": "static"})
            break
    for d in site_dirs:
        p = os.path.join(d, "tensorflow", "python", "platform", "build_info.py")
        if "tensorflow" in by_name and os.path.isfile(p):
            text = read_text(p, "") or ""
            m1 = re.search(r"'cuda_version':\s*'([^']*)'", text)
            m2 = re.search(r"'cudnn_version':\s*'([^']*)'", text)
            frameworks.append({"framework": "tensorflow", "version": by_name["tensorflow"]["version"],
                               "cuda": m1.group(1) if m1 else None, "cudnn": m2.group(1) if m2 else None,
                               "how": "static"})
            break
    for name in sorted(by_name):
        if name.startswith("jax-cuda") and name.endswith("-plugin"):
            frameworks.append({"framework": "jax", "version": by_name.get("jax", {}).get("version"),
                               "cuda": name[len("jax-cuda"):-len("-plugin")], "how": "static"})
        if name.startswith("cupy-cuda"):
            frameworks.append({"framework": "cupy", "version": by_name[name]["version"],
                               "cuda": name[len("cupy-cuda"):], "how": "static"})
    wheels = {n: by_name[n]["version"] for n in sorted(by_name) if n.startswith("nvidia-")}
    for fw in frameworks:
        cudnn = [v for n, v in wheels.items() if n.startswith("nvidia-cudnn")]
        nccl = [v for n, v in wheels.items() if n.startswith("nvidia-nccl")]
        if cudnn and not fw.get("cudnn"):
            fw["cudnn"] = cudnn[0]
        if nccl and not fw.get("nccl"):
            fw["nccl"] = nccl[0]
    toolkit = None
    for root in ("/usr/local/cuda", os.environ.get("CUDA_HOME") or "", os.environ.get("CUDA_PATH") or ""):
        if root and os.path.isdir(root):
            ver = None
            vj = read_text(os.path.join(root, "version.json"))
            if vj:
                try:
                    ver = json.loads(vj).get("cuda", {}).get("version")
                except ValueError:
                    pass
            toolkit = "%s (%s)" % (os.path.realpath(root), ver or "version unknown")
            break
    conda_cuda = any(n.startswith("cuda-") or n in ("cudatoolkit", "cudnn") for n in by_name)
    cuda_libs = [p for p in libs if re.search(r"lib(cuda|cudart|cublas|cudnn|nccl|cufft|curand|cusparse|nvrtc)", p)]
    has_cuda_build = any(fw.get("cuda") for fw in frameworks)
    if wheels and has_cuda_build:
        source = "pip-wheels"
    elif toolkit and has_cuda_build:
        source = "system"
    elif conda_cuda:
        source = "conda"
    elif has_cuda_build:
        source = "system"
    else:
        source = "none"
    return {"frameworks": frameworks, "source": source, "nvidia_wheels": wheels,
            "system_toolkit": toolkit, "loaded_libraries": cuda_libs}
