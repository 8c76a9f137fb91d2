"""JAX probes: XLA runs its own kernels and threads (on CPU it flushes denormals while numpy in
the same process may not), so JAX gets its own FTZ and matmul-precision probes."""
from . import decode
from .base import Outcome, Skip, raw_bytes


def _devices(kind):
    import jax

    try:
        devs = jax.devices(kind)
    except RuntimeError:
        devs = []
    if not devs:
        raise Skip("no CUDA device" if kind == "gpu" else "no JAX %s device" % kind)
    return devs[0]


def _mode_inputs(np, n=256):
    a = np.zeros((n, n), dtype=np.float32)
    a[0, 0] = decode.TF32_PROBE
    a[1, 0] = decode.FP32_PROBE
    b = np.zeros((n, n), dtype=np.float32)
    b[0, :] = 1.0
    return a, b


def _precision_flag():
    import jax

    return str(getattr(jax.config, "jax_default_matmul_precision", None))


def _matmul_mode(kind):
    import jax
    import numpy as np

    dev = _devices(kind)
    a, b = _mode_inputs(np)
    c = np.asarray(jax.jit(lambda x, y: x @ y)(jax.device_put(a, dev), jax.device_put(b, dev)))
    mode = decode.decode_matmul_mode(float(c[0, 0]), float(c[1, 0]))
    return Outcome(mode, raw_bytes(c[:2, :1]), {"jax_default_matmul_precision": _precision_flag(), "device": str(dev)})


def cpu_matmul_precision():
    return _matmul_mode("cpu")


def gpu_matmul_fp32_mode():
    return _matmul_mode("gpu")


def cpu_ftz():
    import jax
    import numpy as np

    dev = _devices("cpu")
    x = np.array([np.finfo(np.float32).tiny, 2.0 ** -149], dtype=np.float32)
    y = np.array([0.5, 2.0 ** 100], dtype=np.float32)
    out = np.asarray(jax.jit(lambda p, q: p * q)(jax.device_put(x, dev), jax.device_put(y, dev)))
    return Outcome(decode.decode_ftz_daz(float(out[0]), float(out[1])), raw_bytes(out), {})
