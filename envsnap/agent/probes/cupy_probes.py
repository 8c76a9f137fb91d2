"""CuPy probes: cuBLAS as CuPy calls it (CuPy has its own TF32 switch, CUPY_TF32)."""
import os

from . import decode
from .base import Outcome, Skip, raw_bytes
from .inputs import fingerprint, np_floats


def _device():
    import cupy

    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception:  # noqa: BLE001 - no driver / no device
        count = 0
    if not count:
        raise Skip("no CUDA device")
    return cupy


def matmul_fp32_mode():
    cupy = _device()
    import numpy as np

    a = np.zeros((256, 256), dtype=np.float32)
    a[0, 0] = decode.TF32_PROBE
    a[1, 0] = decode.FP32_PROBE
    b = np.zeros((256, 256), dtype=np.float32)
    b[0, :] = 1.0
    c = cupy.asnumpy(cupy.asarray(a) @ cupy.asarray(b))
    return Outcome(decode.decode_matmul_mode(float(c[0, 0]), float(c[1, 0])), raw_bytes(c[:2, :1]),
                   {"CUPY_TF32": os.environ.get("CUPY_TF32")})


def gemm():
    cupy = _device()
    import numpy as np

    a = np_floats(np, 401, (256, 256), "f4")
    b = np_floats(np, 402, (256, 256), "f4")
    outs = [cupy.asnumpy(cupy.asarray(a.astype(dt)) @ cupy.asarray(b.astype(dt))) for dt in (np.float32, np.float16)]
    details = {"fp32": fingerprint(raw_bytes(outs[0])), "fp16": fingerprint(raw_bytes(outs[1]))}
    name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    return Outcome(str(name), raw_bytes(*outs), details)
