"""Each CPU probe's output changes when the knob it watches changes, and stays identical when
nothing changes. Every case runs the real agent in a fresh interpreter."""
import json
import shutil
import subprocess
import sys

import pytest

from .conftest import cpu_flags, needs_torch, ok, probe

CPU_PROBES = ("cpu.numpy", "cpu.blas", "cpu.torch")


def test_identical_across_two_runs_when_nothing_changes():
    first = probe(*CPU_PROBES)
    second = probe(*CPU_PROBES)
    ran = [pid for pid, r in first.items() if r.status == "ok"]
    assert "cpu.blas.gemm" in ran and "cpu.numpy.simd_ufuncs" in ran
    for pid in ran:
        a, b = first[pid], second[pid]
        assert (a.fingerprint, a.value) == (b.fingerprint, b.value), pid
        assert a.stable is True, pid


def test_openblas_coretype_changes_the_gemm_kernel_and_is_read_back():
    if "avx2" not in cpu_flags():
        pytest.skip("this CPU cannot run OpenBLAS's Haswell kernels")
    has = ok(probe("cpu.blas.gemm", OPENBLAS_CORETYPE="Haswell"), "cpu.blas.gemm")
    if has.details.get("internal_api") != "openblas":
        pytest.skip(f"numpy uses {has.details.get('internal_api')}, not OpenBLAS")
    sandy = ok(probe("cpu.blas.gemm", OPENBLAS_CORETYPE="Sandybridge"), "cpu.blas.gemm")
    assert "Haswell" in has.value and "Sandybridge" in sandy.value
    assert has.details["sgemm"] != sandy.details["sgemm"]
    assert has.fingerprint != sandy.fingerprint


def test_fma_in_the_dot_path_follows_the_openblas_kernel():
    # On this family of machines OpenBLAS's SkylakeX ddot fuses the multiply-add, Haswell's does not.
    if "avx512f" not in cpu_flags():
        pytest.skip("this CPU cannot run OpenBLAS's SkylakeX kernels")
    sky = ok(probe("cpu.blas.fma_dot", OPENBLAS_CORETYPE="SkylakeX"), "cpu.blas.fma_dot")
    has = ok(probe("cpu.blas.fma_dot", OPENBLAS_CORETYPE="Haswell"), "cpu.blas.fma_dot")
    assert sky.value.startswith("ddot fma,") and has.value.startswith("ddot no fma,")
    assert sky.details["ddot"] == repr(2.0 ** -26 + 2.0 ** -54)
    assert sky.fingerprint != has.fingerprint


def test_blas_thread_count_changes_the_threads_probe():
    one = ok(probe("cpu.blas.threads", OPENBLAS_NUM_THREADS="1"), "cpu.blas.threads")
    two = ok(probe("cpu.blas.threads", OPENBLAS_NUM_THREADS="2"), "cpu.blas.threads")
    assert one.value.startswith("1 thread;") and two.value.startswith("2 threads;")
    assert one.details["differs"], "sgemm/ddot gave the same bits with 1 and 2 threads"
    assert one.fingerprint != two.fingerprint


@pytest.fixture(scope="module")
def fast_math_lib(tmp_path_factory):
    """A shared library built with -Ofast: loading it sets FTZ/DAZ for the whole process
    (GCC links crtfastmath.o, whose constructor writes MXCSR)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    d = tmp_path_factory.mktemp("fastmath")
    (d / "fm.c").write_text("int envsnap_fastmath_marker(void) { return 1; }\n")
    subprocess.run([gcc, "-Ofast", "-shared", "-fPIC", "-o", str(d / "libfm.so"), str(d / "fm.c")], check=True)
    return str(d / "libfm.so")


def test_fast_math_library_turns_on_ftz_daz(fast_math_lib):
    if "sse2" not in cpu_flags():
        pytest.skip("FTZ/DAZ via MXCSR is an x86 feature")
    only = ["cpu.numpy.ftz_daz"] + (["cpu.torch.ftz_daz"] if _has_torch() else [])
    plain = probe(*only)
    loaded = probe(*only, LD_PRELOAD=fast_math_lib)
    for pid in only:
        assert ok(plain, pid).value == "ftz=off daz=off", pid
        assert ok(loaded, pid).value == "ftz=on daz=on", pid
        assert plain[pid].fingerprint != loaded[pid].fingerprint


def _has_torch():
    from .conftest import HAS_TORCH

    return HAS_TORCH


def _numpy_dispatch():
    code = ("import json\ntry:\n from numpy._core import _multiarray_umath as m\nexcept ImportError:\n"
            " from numpy.core import _multiarray_umath as m\n"
            "print(json.dumps([t for t in m.__cpu_dispatch__ if m.__cpu_features__.get(t)]))")
    return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def test_npy_disable_cpu_features_changes_the_simd_fingerprint():
    active = _numpy_dispatch()
    if not active:
        pytest.skip("numpy dispatches nothing beyond its baseline on this CPU")
    full = ok(probe("cpu.numpy.simd_ufuncs"), "cpu.numpy.simd_ufuncs")
    base = ok(probe("cpu.numpy.simd_ufuncs", NPY_DISABLE_CPU_FEATURES=" ".join(active)), "cpu.numpy.simd_ufuncs")
    assert "baseline only" in base.value and "baseline only" not in full.value
    assert full.fingerprint != base.fingerprint


@needs_torch
def test_aten_cpu_capability_changes_softmax_layer_norm():
    if "avx2" not in cpu_flags():
        pytest.skip("without AVX2 ATen already runs its default kernels")
    best = ok(probe("cpu.torch.aten_kernels"), "cpu.torch.aten_kernels")
    default = ok(probe("cpu.torch.aten_kernels", ATEN_CPU_CAPABILITY="default"), "cpu.torch.aten_kernels")
    assert default.value == "ATen DEFAULT kernels" and best.value != default.value
    assert best.details["softmax"] != default.details["softmax"]
    assert best.fingerprint != default.fingerprint


@needs_torch
def test_mkl_cbwr_changes_torch_sgemm_and_is_read_back():
    auto = probe("cpu.torch.mkl_gemm")["cpu.torch.mkl_gemm"]
    if auto.status == "skipped":
        pytest.skip(auto.reason)
    compat = ok(probe("cpu.torch.mkl_gemm", MKL_CBWR="COMPATIBLE"), "cpu.torch.mkl_gemm")
    assert auto.status == "ok" and "CNR COMPATIBLE" not in auto.value
    assert compat.value.endswith("CNR COMPATIBLE")
    assert auto.details["sgemm"] != compat.details["sgemm"]  # torch.mm runs MKL sgemm
    assert auto.fingerprint != compat.fingerprint


@needs_torch
def test_torch_set_flush_denormal_flips_the_torch_probe_only():
    flushed = probe("cpu.torch.ftz_daz", "cpu.numpy.ftz_daz",
                    ENVSNAP_PROBE_PRELUDE="import torch\nassert torch.set_flush_denormal(True)\n")
    plain = probe("cpu.torch.ftz_daz")
    assert ok(flushed, "cpu.torch.ftz_daz").value == "ftz=on daz=on"
    assert ok(plain, "cpu.torch.ftz_daz").value == "ftz=off daz=off"
    assert flushed["cpu.torch.ftz_daz"].fingerprint != plain["cpu.torch.ftz_daz"].fingerprint
    # set_flush_denormal writes this thread's MXCSR: numpy in the same thread sees it too
    assert ok(flushed, "cpu.numpy.ftz_daz").value == "ftz=on daz=on"


@needs_torch
def test_torch_probes_give_the_same_bits_without_numpy():
    # Inputs then come from the pure-Python hash and outputs are read from tensor storage:
    # both paths must produce the same bytes as the numpy ones.
    only = ("cpu.torch.ftz_daz", "cpu.torch.aten_kernels", "cpu.torch.batch_invariance")
    with_np = probe(*only)
    without = probe(*only, ENVSNAP_PROBE_PRELUDE="import sys\nsys.modules['numpy'] = None\n")
    for pid in only:
        assert ok(without, pid).fingerprint == ok(with_np, pid).fingerprint, pid
