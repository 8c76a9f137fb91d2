"""CPU probes through PyTorch: its own vectorised ATen kernels and the BLAS it links (MKL on x86)."""
import ctypes
import os
import re

from . import decode
from .base import Outcome, Skip
from .inputs import fingerprint, torch_floats
from .torch_util import max_rel, tensor_bytes


def _raw(*tensors):
    import torch

    return tensor_bytes(torch, *tensors)


def _max_rel(torch, a, b):
    return max_rel(torch, a, b)


def ftz_daz():
    import torch

    tiny32 = torch.finfo(torch.float32).tiny
    f32 = torch.tensor([tiny32, 2.0**-149], dtype=torch.float32) * torch.tensor([0.5, 2.0**100], dtype=torch.float32)
    f64 = torch.tensor([2.0**-1022, 2.0**-1074], dtype=torch.float64) * torch.tensor(
        [0.5, 2.0**200], dtype=torch.float64
    )
    v32 = decode.decode_ftz_daz(float(f32[0]), float(f32[1]))
    v64 = decode.decode_ftz_daz(float(f64[0]), float(f64[1]))
    value = v32 if v32 == v64 else "float32 %s, float64 %s" % (v32, v64)
    return Outcome(value, _raw(f32, f64), {"float32": v32, "float64": v64})


def aten_kernels():
    import torch

    x = torch_floats(torch, 201, (64, 256), "f4")
    sm = torch.softmax(x * 8.0, dim=-1)
    ln = torch.nn.functional.layer_norm(x, (256,))
    ex = torch.exp(x)
    cap = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "unknown"
    details = {"softmax": fingerprint(_raw(sm)), "layer_norm": fingerprint(_raw(ln)), "exp": fingerprint(_raw(ex))}
    return Outcome("ATen %s kernels" % cap, _raw(sm, ln, ex), details)


def _mkl_library(torch):
    """A loaded library exporting MKL's service functions: torch links MKL statically into
    libtorch_cpu; a conda torch/numpy loads libmkl_rt."""
    candidates = [os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so")]
    try:
        from .cpu_numpy import _threadpoolctl

        info = _threadpoolctl().threadpool_info()
        candidates += [lib["filepath"] for lib in info if lib.get("internal_api") == "mkl"]
    except Exception:  # noqa: BLE001 - optional
        pass
    for path in candidates:
        if not os.path.exists(path):
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(lib, "MKL_Get_Version_String"):
            return lib
    return None


def _mkl_version(lib):
    buf = ctypes.create_string_buffer(256)
    lib.MKL_Get_Version_String(buf, 256)
    return buf.value.decode("ascii", "replace").strip()


# mkl_cbwr_get(MKL_CBWR_BRANCH) results, from mkl_service.h
_CBWR = {
    0: "OFF",
    1: "OFF",
    2: "AUTO",
    3: "COMPATIBLE",
    4: "SSE2",
    6: "SSSE3",
    7: "SSE4_1",
    8: "SSE4_2",
    9: "AVX",
    10: "AVX2",
    11: "AVX512_MIC",
    12: "AVX512",
    13: "AVX512_MIC_E1",
    14: "AVX512_E1",
}
_CBWR_STRICT = 0x10000


def _mkl_branch(lib):
    """MKL's conditional-numerical-reproducibility branch in effect (MKL_CBWR or mkl_cbwr_set).
    libmkl_rt exports mkl_cbwr_get; torch's static MKL only its internal mkl_serv_cbwr_get."""
    for name in ("mkl_cbwr_get", "mkl_serv_cbwr_get"):
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.argtypes = [ctypes.c_int]
            fn.restype = ctypes.c_int
            branch = _CBWR.get(fn(1), "code %d" % fn(1))
            return branch + (",STRICT" if fn(-1) & _CBWR_STRICT else "")
    return None


def mkl_gemm():
    import torch

    if not (hasattr(torch.backends, "mkl") and torch.backends.mkl.is_available()):
        raise Skip("torch is not built with MKL")
    a = torch_floats(torch, 202, (128, 128), "f4")
    b = torch_floats(torch, 203, (128, 128), "f4")
    mm = a @ b  # MKL sgemm
    mv = a @ b[:, 0]  # MKL sgemv
    lib = _mkl_library(torch)
    details = {"sgemm": fingerprint(_raw(mm)), "sgemv": fingerprint(_raw(mv))}
    value = "MKL"
    if lib is not None:
        version = _mkl_version(lib)
        details["mkl_version"] = version
        m = re.search(r"(\d{4}\.\d+(?: Update \d+)?)", version)
        value = "MKL %s" % (m.group(1) if m else version)
        branch = _mkl_branch(lib)
        if branch:
            value += ", CNR %s" % branch
            details["cnr"] = branch
    return Outcome(value, _raw(mm, mv), details)


def batch_invariance():
    import torch

    a = torch_floats(torch, 204, (64, 128), "f4")
    b = torch_floats(torch, 205, (128, 128), "f4")
    batched = (a @ b)[:1]
    single = a[:1] @ b
    if torch.equal(batched, single):
        value = "invariant"
    else:
        value = "varies (max rel %s)" % _max_rel(torch, batched, single)
    return Outcome(value, _raw(batched, single), {})


def threads():
    import torch

    configured = torch.get_num_threads()
    many = max(configured, 2)
    x = torch_floats(torch, 206, (1 << 18,), "f4")  # 8 ATen grains: split across threads
    a = torch_floats(torch, 207, (128, 128), "f4")

    def compute():
        return x.sum().reshape(1), a @ a

    try:
        torch.set_num_threads(1)
        one = compute()
        torch.set_num_threads(many)
        n = compute()
    finally:
        torch.set_num_threads(configured)
    here = compute()
    differs = [name for name, p, q in zip(("sum", "mm"), one, n) if not torch.equal(p, q)]
    verdict = (
        ("1 vs %d threads differ in %s" % (many, "+".join(differs)))
        if differs
        else ("1 vs %d threads identical" % many)
    )
    value = "%d intra-op thread%s; %s" % (configured, "" if configured == 1 else "s", verdict)
    return Outcome(value, _raw(*here), {"configured_threads": configured, "compared": [1, many], "differs": differs})
