"""The framework switches that explain probe results (TF32, matmul precision, determinism,
threads, SIMD dispatch). Each read is guarded on its own: an attribute missing from one
framework version drops that key, nothing else."""
import warnings


def _read(out, key, fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = fn()
    except Exception:  # noqa: BLE001 - absent in this version: leave the key out
        return
    if isinstance(value, (list, tuple)):
        value = [str(v) for v in value]
    elif value is not None and not isinstance(value, (bool, int, float, str)):
        value = str(value)
    out[key] = value


def numpy_flags(out, loaded):
    import numpy as np

    try:
        from numpy._core import _multiarray_umath as m  # type: ignore[attr-defined]
    except ImportError:
        from numpy.core import _multiarray_umath as m
    _read(out, "numpy.cpu_baseline", lambda: list(m.__cpu_baseline__))
    _read(out, "numpy.cpu_dispatch", lambda: list(m.__cpu_dispatch__))
    _read(out, "numpy.cpu_features", lambda: sorted(k for k, v in m.__cpu_features__.items() if v))
    _read(out, "numpy.version", lambda: np.__version__)


def torch_flags(out, loaded):
    import torch

    b = torch.backends
    for key, fn in (
        ("torch.backends.cuda.matmul.allow_tf32", lambda: b.cuda.matmul.allow_tf32),
        (
            "torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction",
            lambda: b.cuda.matmul.allow_fp16_reduced_precision_reduction,
        ),
        (
            "torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction",
            lambda: b.cuda.matmul.allow_bf16_reduced_precision_reduction,
        ),
        ("torch.backends.cuda.matmul.fp32_precision", lambda: b.cuda.matmul.fp32_precision),
        ("torch.backends.cudnn.allow_tf32", lambda: b.cudnn.allow_tf32),
        ("torch.backends.cudnn.benchmark", lambda: b.cudnn.benchmark),
        ("torch.backends.cudnn.deterministic", lambda: b.cudnn.deterministic),
        ("torch.backends.cudnn.enabled", lambda: b.cudnn.enabled),
        ("torch.backends.cudnn.fp32_precision", lambda: b.cudnn.fp32_precision),
        ("torch.backends.fp32_precision", lambda: b.fp32_precision),  # type: ignore[attr-defined]
        ("torch.backends.mkldnn.enabled", lambda: b.mkldnn.enabled),
        ("torch.backends.mkldnn.is_available", lambda: b.mkldnn.is_available()),
        ("torch.backends.mkl.is_available", lambda: b.mkl.is_available()),
        ("torch.backends.openmp.is_available", lambda: b.openmp.is_available()),
        ("torch.backends.cpu.get_cpu_capability", lambda: b.cpu.get_cpu_capability()),
        ("torch.get_float32_matmul_precision", lambda: torch.get_float32_matmul_precision()),
        ("torch.are_deterministic_algorithms_enabled", lambda: torch.are_deterministic_algorithms_enabled()),
        (
            "torch.is_deterministic_algorithms_warn_only_enabled",
            lambda: torch.is_deterministic_algorithms_warn_only_enabled(),
        ),
        ("torch.get_num_threads", lambda: torch.get_num_threads()),
        ("torch.get_num_interop_threads", lambda: torch.get_num_interop_threads()),
        ("torch.get_default_dtype", lambda: torch.get_default_dtype()),
        ("torch.cuda.is_available", lambda: torch.cuda.is_available()),
    ):
        _read(out, key, fn)
    for key, fn in (
        ("version", lambda: torch.__version__),
        ("cuda", lambda: torch.version.cuda),
        ("cudnn", lambda: torch.backends.cudnn.version() if torch.cuda.is_available() else None),
        ("nccl", lambda: ".".join(str(v) for v in torch.cuda.nccl.version()) if torch.cuda.is_available() else None),
    ):
        _read(loaded, key, fn)


def jax_flags(out, loaded):
    import jax

    for name in (
        "jax_default_matmul_precision",
        "jax_enable_x64",
        "jax_default_dtype_bits",
        "jax_numpy_rank_promotion",
    ):
        _read(out, "jax.config." + name, lambda name=name: getattr(jax.config, name))
    _read(out, "jax.default_backend", lambda: jax.default_backend())
    _read(loaded, "version", lambda: jax.__version__)
    _read(loaded, "cuda", lambda: jax.devices()[0].client.platform_version if jax.default_backend() == "gpu" else None)


def cupy_flags(out, loaded):
    import cupy

    _read(out, "cupy.cuda.runtime.runtimeGetVersion", lambda: cupy.cuda.runtime.runtimeGetVersion())
    _read(loaded, "version", lambda: cupy.__version__)
    _read(loaded, "cuda", lambda: cupy.cuda.runtime.runtimeGetVersion())
    _read(loaded, "cudnn", lambda: cupy.cuda.cudnn.getVersion())
    _read(loaded, "nccl", lambda: cupy.cuda.nccl.get_version())


COLLECTORS = {"numpy": numpy_flags, "torch": torch_flags, "jax": jax_flags, "cupy": cupy_flags}


def collect(frameworks):
    """(flags, loaded): the framework switches, and per framework what this process actually
    loaded (version, CUDA runtime, cuDNN, NCCL as the framework reports them)."""
    flags = {}  # type: dict
    loaded = {}
    for fw in frameworks:
        mine = {}  # type: dict
        try:
            COLLECTORS[fw](flags, mine)
        except Exception as exc:  # noqa: BLE001
            flags["%s.flags_error" % fw] = "%s: %s" % (type(exc).__name__, exc)
        if mine:
            loaded[fw] = mine
    return flags, loaded
