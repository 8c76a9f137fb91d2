"""CPU probes through numpy and the BLAS it loaded (OpenBLAS, MKL, Accelerate...)."""
import os

from . import decode
from .base import Outcome, Skip, max_rel_diff, raw_bytes
from .inputs import np_floats


def _threadpoolctl():
    try:
        import threadpoolctl  # the target's own copy, if any
        return threadpoolctl
    except ImportError:
        from .._vendor import threadpoolctl  # bundled by envsnap.agent_runtime
        return threadpoolctl


def numpy_blas():
    """The BLAS library numpy itself uses (threadpoolctl entry), preferring one shipped inside numpy."""
    import numpy as np

    libs = [lib for lib in _threadpoolctl().threadpool_info() if lib.get("user_api") == "blas"]
    if not libs:
        return None
    root = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))
    for lib in libs:
        path = lib.get("filepath") or ""
        if path.startswith(os.path.join(root, "numpy")) or "scipy_openblas" in path:
            return lib
    return libs[0]


def _kernel_label(lib):
    if lib is None:
        return "no BLAS found by threadpoolctl"
    name = {"openblas": "OpenBLAS", "mkl": "MKL", "blis": "BLIS"}.get(lib.get("internal_api"), lib.get("internal_api"))
    arch = lib.get("architecture")
    return "%s %s%s" % (name, lib.get("version") or "?", (" " + arch) if arch else "")


def ftz_daz():
    import numpy as np

    f32 = np.array([np.finfo(np.float32).tiny, np.float32(2.0 ** -149)], dtype=np.float32)
    f32_out = f32 * np.array([0.5, 2.0 ** 100], dtype=np.float32)
    f64 = np.array([np.finfo(np.float64).tiny, 2.0 ** -1074])
    f64_out = f64 * np.array([0.5, 2.0 ** 200])
    v32 = decode.decode_ftz_daz(float(f32_out[0]), float(f32_out[1]))
    v64 = decode.decode_ftz_daz(float(f64_out[0]), float(f64_out[1]))
    value = v32 if v32 == v64 else "float32 %s, float64 %s" % (v32, v64)
    return Outcome(value, raw_bytes(f32_out, f64_out), {"float32": v32, "float64": v64})


def fma_dot():
    import numpy as np

    x = decode.FMA_X64
    r64 = float(np.dot(np.array([-1.0, x]), np.array([1.0, x])))
    xs = np.float32(decode.FMA_X32)
    r32 = float(np.dot(np.array([-1.0, xs], dtype=np.float32), np.array([1.0, xs], dtype=np.float32)))
    d64 = decode.decode_fma(r64, decode.FMA_WITH64, decode.FMA_WITHOUT64)
    d32 = decode.decode_fma(r32, decode.FMA_WITH32, decode.FMA_WITHOUT32)
    value = "ddot %s, sdot %s" % (d64, d32)
    return Outcome(value, np.array([r64, r32]).tobytes(), {"ddot": repr(r64), "sdot": repr(r32)})


def _gemm_inputs(np):
    a32 = np_floats(np, 101, (128, 128), "f4")
    b32 = np_floats(np, 102, (128, 128), "f4")
    return a32, b32


def blas_gemm():
    import numpy as np

    a32, b32 = _gemm_inputs(np)
    a64 = np_floats(np, 103, (128, 128), "f8")
    b64 = np_floats(np, 104, (128, 128), "f8")
    s = a32 @ b32
    d = a64 @ b64
    ref = a32.astype(np.float64) @ b32.astype(np.float64)
    lib = numpy_blas()
    from .inputs import fingerprint

    details = {"sgemm": fingerprint(raw_bytes(s)), "dgemm": fingerprint(raw_bytes(d)),
               "sgemm_max_rel_err_vs_f64": max_rel_diff(np, s, ref)}
    if lib is not None:
        details.update(
            {
                k: lib.get(k)
                for k in ("internal_api", "version", "architecture", "num_threads", "threading_layer", "filepath")
            }
        )
    return Outcome(_kernel_label(lib), raw_bytes(s, d), details)


def blas_threads():
    import numpy as np

    tpc = _threadpoolctl()
    lib = numpy_blas()
    if lib is None:
        raise Skip("no BLAS library found by threadpoolctl")
    configured = int(lib.get("num_threads") or 1)
    many = max(configured, 2)
    a32, b32 = _gemm_inputs(np)
    # OpenBLAS splits a long ddot across threads and adds the partial sums: thread-sensitive on
    # every x86 kernel; sgemm only on some (Haswell yes, SkylakeX no).
    v = np_floats(np, 105, (1 << 18,), "f8")
    w = np_floats(np, 106, (1 << 18,), "f8")

    def compute():
        return a32 @ b32, np.array([np.dot(v, w)], dtype=np.float64)

    with tpc.threadpool_limits(limits=1, user_api="blas"):
        one = compute()
    with tpc.threadpool_limits(limits=many, user_api="blas"):
        n = compute()
    here = compute()
    differs = [name for name, x, y in zip(("sgemm", "ddot"), one, n) if x.tobytes() != y.tobytes()]
    if differs:
        verdict = "1 vs %d threads differ in %s" % (many, "+".join(differs))
    else:
        verdict = "1 vs %d threads identical" % many
    value = "%d thread%s; %s" % (configured, "" if configured == 1 else "s", verdict)
    return Outcome(
        value, raw_bytes(*here), {"configured_threads": configured, "compared": [1, many], "differs": differs}
    )


def batch_invariance():
    import numpy as np

    a = np_floats(np, 107, (64, 128), "f4")
    b = np_floats(np, 108, (128, 128), "f4")
    batched = (a @ b)[:1]
    single = a[:1] @ b
    if batched.tobytes() == single.tobytes():
        value = "invariant"
    else:
        value = "varies (max rel %s)" % max_rel_diff(np, batched, single)
    return Outcome(value, raw_bytes(batched, single), {})


def _simd_tables(np):
    try:
        from numpy._core import _multiarray_umath as m  # type: ignore[attr-defined]  # numpy >= 2
    except ImportError:
        from numpy.core import _multiarray_umath as m
    feats = getattr(m, "__cpu_features__", {}) or {}
    dispatch = list(getattr(m, "__cpu_dispatch__", []) or [])
    baseline = list(getattr(m, "__cpu_baseline__", []) or [])
    return baseline, dispatch, feats


def _ulp32(np, got, ref):
    a = got.view(np.int32).astype(np.int64)
    b = ref.view(np.int32).astype(np.int64)
    # map sign-magnitude to a monotonic integer line
    a = np.where(a < 0, -(a & 0x7FFFFFFF), a)
    b = np.where(b < 0, -(b & 0x7FFFFFFF), b)
    return int(np.max(np.abs(a - b)))


def simd_ufuncs():
    import numpy as np

    x32 = np_floats(np, 109, (4096,), "f4")
    x64 = np_floats(np, 110, (4096,), "f8")
    outs = []
    ulps = {}
    for name, fn, pos in (
        ("exp", np.exp, False),
        ("sin", np.sin, False),
        ("log", np.log, True),
        ("tanh", np.tanh, False),
    ):
        a32 = np.abs(x32) if pos else x32
        a64 = np.abs(x64) if pos else x64
        r32 = fn(a32)
        outs += [r32, fn(a64)]
        ulps[name] = _ulp32(np, r32, fn(a32.astype(np.float64)).astype(np.float32))
    baseline, dispatch, feats = _simd_tables(np)
    active = [t for t in dispatch if feats.get(t)]
    value = "dispatch %s; float32 max err %d ulp" % ("+".join(active) or "baseline only", max(ulps.values()))
    return Outcome(value, raw_bytes(*outs), {"baseline": baseline, "dispatch_active": active, "float32_ulp": ulps})
