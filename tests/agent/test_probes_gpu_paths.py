"""The GPU probes' code paths, run with the CPU standing in for the CUDA device.

No GPU here: this checks that every GPU probe builds its inputs, computes, decodes and returns a
well-formed Outcome (catching the bugs that would otherwise first show on a GPU machine). The
values are CPU behaviour, not GPU behaviour."""
import importlib.util

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not importable")


@pytest.fixture
def cpu_as_device(monkeypatch):
    import torch

    from envsnap.agent.probes import gpu_torch

    monkeypatch.setattr(gpu_torch, "_device", lambda: torch.device("cpu"))
    monkeypatch.setattr(gpu_torch, "_sync", lambda torch: None)
    monkeypatch.setattr(gpu_torch, "_name", lambda torch, device: "CPU stand-in")
    monkeypatch.setattr(torch.backends.cudnn, "is_available", lambda: True)
    return gpu_torch


@pytest.mark.parametrize("name,expect", [
    ("matmul_fp32_mode", "FP32"), ("conv_tf32", "FP32"), ("gemm", "CPU stand-in"),
    ("atomics", "deterministic (8 repeats)"), ("ftz", "ftz=off daz=off"),
    ("reduced_precision_accum", None), ("batch_invariance", None),
])
def test_gpu_probe_paths_on_a_cpu_stand_in(cpu_as_device, name, expect):
    out = getattr(cpu_as_device, name)()
    assert isinstance(out.value, str) and out.value and isinstance(out.raw, bytes) and out.raw
    if expect is not None:
        assert out.value == expect
    again = getattr(cpu_as_device, name)()
    assert again.raw == out.raw


def test_without_a_device_they_skip():
    import torch

    from envsnap.agent.probes import gpu_torch
    from envsnap.agent.probes.base import Skip

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    with pytest.raises(Skip, match="no CUDA device"):
        gpu_torch.gemm()
