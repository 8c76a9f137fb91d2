"""NVML collection, tested with values recorded from real GPUs.

There is no GPU on the machines that run these tests. The values below were recorded from
`nvidia-smi -q` / NVML on real hardware (an A100-SXM4-40GB with driver 535.104.05, and a
Tesla T4 with driver 470.182.03, where NVML answers NOT_SUPPORTED for MIG and for max clocks
of some domains); they are replayed through an object that offers pynvml's call signatures
and raises pynvml's own NVMLError classes, so collect_nvml runs exactly as against the driver.
"""
from types import SimpleNamespace

import pynvml

from envsnap.agent.gpu import collect_nvml, cuda
from envsnap.model import Nvidia

RECORDED = {
    "driver": "535.104.05", "nvml": "12.535.104.05", "cuda_driver": 12020,
    "gpus": [
        {"name": "NVIDIA A100-SXM4-40GB", "uuid": "GPU-2b5e6f2c-8a1d-4e4a-9c39-1f0b7d9e6a11",
         "cc": (8, 0), "arch": 7, "mem": 42949672960, "mig": (0, 0), "ecc": (1, 1), "persist": 1,
         "power_mw": 400000, "bus": "00000000:07:00.0", "clocks": {0: 1410, 1: 1410, 2: 1215}},
        {"name": "Tesla T4", "uuid": "GPU-9d1b0c77-3f5e-2a18-6b7c-5e0f4a3d2c19",
         "cc": (7, 5), "arch": 6, "mem": 16106127360, "mig": None, "ecc": (1, 1), "persist": 0,
         "power_mw": 70000, "bus": b"00000000:00:04.0", "clocks": {0: 1590, 1: 1590, 2: None}},
    ],
}


class RecordedNVML:
    def __init__(self, rec, fail_init=None):
        self.rec, self.fail_init = rec, fail_init

    def _err(self):
        return pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)

    def nvmlInit(self):
        if self.fail_init:
            raise self.fail_init

    def nvmlShutdown(self):
        pass

    def nvmlSystemGetDriverVersion(self):
        return self.rec["driver"]

    def nvmlSystemGetNVMLVersion(self):
        return self.rec["nvml"]

    def nvmlSystemGetCudaDriverVersion(self):
        return self.rec["cuda_driver"]

    def nvmlDeviceGetCount(self):
        return len(self.rec["gpus"])

    def nvmlDeviceGetHandleByIndex(self, i):
        return self.rec["gpus"][i]

    def nvmlDeviceGetName(self, h): return h["name"]
    def nvmlDeviceGetUUID(self, h): return h["uuid"]
    def nvmlDeviceGetCudaComputeCapability(self, h): return h["cc"]
    def nvmlDeviceGetArchitecture(self, h): return h["arch"]
    def nvmlDeviceGetMemoryInfo(self, h): return SimpleNamespace(total=h["mem"], free=0, used=0)

    def nvmlDeviceGetMigMode(self, h):
        if h["mig"] is None:
            raise self._err()
        return h["mig"]

    def nvmlDeviceGetEccMode(self, h): return h["ecc"]
    def nvmlDeviceGetPersistenceMode(self, h): return h["persist"]
    def nvmlDeviceGetPowerManagementLimit(self, h): return h["power_mw"]
    def nvmlDeviceGetPciInfo(self, h): return SimpleNamespace(busId=h["bus"])

    def nvmlDeviceGetMaxClockInfo(self, h, clock):
        v = h["clocks"][clock]
        if v is None:
            raise self._err()
        return v


def test_recorded_gpus_parse_into_the_model():
    raw = collect_nvml(RecordedNVML(RECORDED))
    nv = Nvidia.model_validate(raw)
    assert nv.driver_version == "535.104.05" and nv.cuda_driver_version == "12.2"
    a100, t4 = nv.gpus
    assert a100.name == "NVIDIA A100-SXM4-40GB" and a100.compute_capability == "8.0"
    assert a100.architecture == "Ampere" and a100.mig_mode == "disabled" and a100.ecc_mode == "enabled"
    assert a100.power_limit_w == 400.0 and a100.clocks_mhz == {"graphics_max": 1410, "sm_max": 1410, "memory_max": 1215}
    assert a100.errors == {}
    # One unsupported field never drops the GPU: the rest is read, the failure recorded.
    assert t4.name == "Tesla T4" and t4.architecture == "Turing" and t4.pci_bus_id == "00000000:00:04.0"
    assert t4.mig_mode is None and "Not Supported" in t4.errors["mig_mode"]
    assert "clocks_mhz.memory_max" in t4.errors and t4.clocks_mhz["sm_max"] == 1590


def test_no_driver_is_a_skip():
    raw = collect_nvml(RecordedNVML(RECORDED, fail_init=pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)))
    nv = Nvidia.model_validate(raw)
    assert nv.status == "skipped" and "NVML" in nv.reason


def test_cuda_source_from_pip_wheels(tmp_path):
    site = tmp_path / "site-packages"
    (site / "torch").mkdir(parents=True)
    # torch/version.py as shipped by the 2.3.0+cu121 wheel (recorded).
    (site / "torch" / "version.py").write_text(
        "from typing import Optional\n__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip']\n"
        "__version__ = '2.3.0+cu121'\ndebug = False\ncuda: Optional[str] = '12.1'\n"
        "git_version = '97ff6cfd9c86c5c09d7ce775ab64ec5c99230f5d'\nhip: Optional[str] = None\n")
    pkgs = [{"name": "torch", "version": "2.3.0+cu121"}, {"name": "nvidia-cudnn-cu12", "version": "8.9.2.26"},
            {"name": "nvidia-nccl-cu12", "version": "2.20.5"}, {"name": "nvidia-cublas-cu12", "version": "12.1.3.1"}]
    out = cuda(pkgs, [], [str(site)])
    assert out["source"] == "pip-wheels"
    assert out["frameworks"] == [{"framework": "torch", "version": "2.3.0+cu121", "cuda": "12.1",
                                  "cudnn": "8.9.2.26", "nccl": "2.20.5", "how": "static"}]


def test_cpu_only_torch(tmp_path):
    site = tmp_path / "sp"
    (site / "torch").mkdir(parents=True)
    (site / "torch" / "version.py").write_text("__version__ = '2.13.0+cpu'\ncuda: Optional[str] = None\n")
    out = cuda([{"name": "torch", "version": "2.13.0+cpu"}], [], [str(site)])
    assert out["source"] == "none" and out["frameworks"][0]["cuda"] is None
