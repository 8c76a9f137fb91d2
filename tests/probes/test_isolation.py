"""A probe that raises, hangs or kills the interpreter is recorded as failed with its reason and
every other probe still reports. The misbehaving probes are real: the worker's test hook
(ENVSNAP_PROBE_PRELUDE) swaps probe functions for ones that crash, before probing starts."""
import importlib.util
import os
import sys
import time

import pytest

from envsnap.agent_runtime import LocalRunner
from envsnap.probes import run_probes

from .conftest import ok, probe, probe_env

SABOTAGE = """
import ctypes, time
import envsnap_agent.probes.cpu_numpy as m
def boom():
    raise RuntimeError("boom")
m.fma_dot = boom
m.blas_gemm = lambda: ctypes.string_at(0)      # segfault
m.batch_invariance = lambda: time.sleep(120)   # hang past the budget
"""


def test_raise_segfault_and_hang_are_isolated():
    t0 = time.monotonic()
    res = probe("cpu.numpy", "cpu.blas", budget_s=3.0, ENVSNAP_PROBE_PRELUDE=SABOTAGE)
    elapsed = time.monotonic() - t0
    assert res["cpu.blas.fma_dot"].status == "failed"
    assert res["cpu.blas.fma_dot"].reason == "RuntimeError: boom"
    assert res["cpu.blas.gemm"].status == "failed"
    assert res["cpu.blas.gemm"].reason == "killed by SIGSEGV"
    assert res["cpu.blas.batch_invariance"].status == "failed"
    assert res["cpu.blas.batch_invariance"].reason == "timed out after 3 s"
    # before, between and after the casualties, the rest ran (two fresh workers took over)
    for pid in ("cpu.numpy.ftz_daz", "cpu.blas.threads", "cpu.numpy.simd_ufuncs"):
        assert ok(res, pid).fingerprint
    assert elapsed < 60, "the hang was not cut at its budget"


def test_an_import_that_kills_the_interpreter_fails_only_that_frameworks_probes(tmp_path):
    fake = tmp_path / "cupy"
    fake.mkdir()
    (fake / "__init__.py").write_text("import ctypes\nctypes.string_at(0)\n")
    env = probe_env(PYTHONPATH=str(tmp_path))
    run = run_probes(LocalRunner(sys.executable, env=env), only=["cpu.numpy", "gpu.cupy"])
    res = {r.id: r for r in run.probes.results}
    assert res["gpu.cupy.gemm"].status == "failed"
    assert res["gpu.cupy.gemm"].reason == "importing cupy: killed by SIGSEGV"
    assert ok(res, "cpu.numpy.ftz_daz").value
    assert run.flags.get("numpy.cpu_baseline") is not None


def test_an_interpreter_that_is_not_python_is_an_error_section():
    run = run_probes(LocalRunner("/bin/false"), only=["cpu.numpy"])
    assert run.probes.status == "error"
    assert "did not start" in run.probes.reason and run.probes.results == []


@pytest.mark.skipif(os.path.exists("/dev/nvidia0") or os.path.exists("/dev/kfd"), reason="this machine has a GPU")
def test_gpu_probes_skip_without_a_device_and_never_fail():
    res = probe("gpu")
    for r in res.values():
        assert r.status == "skipped", (r.id, r.status, r.reason)
        assert r.reason in ("no CUDA device",) or r.reason.endswith("is not installed"), r.reason


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not importable in this interpreter")
def test_jax_cpu_kernels_flush_denormals_while_numpy_does_not():
    res = probe("cpu.jax.ftz", "cpu.numpy.ftz_daz")
    assert ok(res, "cpu.jax.ftz").value == "ftz=on daz=on"
    assert ok(res, "cpu.numpy.ftz_daz").value == "ftz=off daz=off"
