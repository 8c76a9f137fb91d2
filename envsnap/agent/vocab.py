"""Names shared by the agent (which runs inside the target interpreter) and the host side.

Stdlib-only and importable on every Python the agent supports: this module is the one
definition of which environment variables decide numerics, and which of them describe the
host rather than the environment (never baked into an image, never passed to a replay).
"""

# Variables that decide numerics: recorded by capture, baked into the replay image, passed to
# the replayed command, never redacted by name.
NUMERICS_ENV_VARS = (
    "PYTHONHASHSEED", "CUBLAS_WORKSPACE_CONFIG", "NVIDIA_TF32_OVERRIDE",
    "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE", "CUDA_LAUNCH_BLOCKING", "TF_DETERMINISTIC_OPS",
    "TF_CUDNN_DETERMINISTIC", "TF_ENABLE_ONEDNN_OPTS", "JAX_DEFAULT_MATMUL_PRECISION",
    "JAX_ENABLE_X64", "XLA_FLAGS", "OMP_NUM_THREADS", "OMP_DYNAMIC", "MKL_NUM_THREADS",
    "MKL_DYNAMIC", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "KMP_DETERMINISTIC_REDUCTION",
    "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "GOTO_NUM_THREADS",
    "MKL_THREADING_LAYER", "OPENBLAS_VERBOSE", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "ATEN_CPU_CAPABILITY",
    "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "NPY_DISABLE_CPU_FEATURES", "LD_PRELOAD",
    "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER",
    "TORCH_CUDNN_V8_API_DISABLED", "TORCH_DETERMINISTIC", "NCCL_ALGO", "NCCL_PROTO",
)

# Numerics variables whose value means something only on the original host (a library path,
# a device selection): recorded, but neither baked into an image nor passed to a replay.
HOST_SPECIFIC_ENV = {
    "LD_PRELOAD": "a host library path",
    "CUDA_VISIBLE_DEVICES": "a device selection of the original host",
    "NVIDIA_VISIBLE_DEVICES": "set from the replay's GPU decision",
}
