"""The probe catalogue: stable ids and versions. Stdlib only, so the host can read it too.

Bump a probe's version whenever its inputs or computation change: fingerprints are only
comparable between equal (id, version) pairs.
"""
from collections import namedtuple

Spec = namedtuple("Spec", "id version framework device module function summary")

CATALOGUE = (
    Spec("cpu.numpy.ftz_daz", 1, "numpy", "cpu", "cpu_numpy", "ftz_daz", "flush-to-zero / denormals-are-zero in the calling thread"),
    Spec("cpu.blas.fma_dot", 1, "numpy", "cpu", "cpu_numpy", "fma_dot", "fused multiply-add in the BLAS dot path"),
    Spec("cpu.blas.gemm", 1, "numpy", "cpu", "cpu_numpy", "blas_gemm", "BLAS sgemm/dgemm kernel fingerprint"),
    Spec("cpu.blas.threads", 1, "numpy", "cpu", "cpu_numpy", "blas_threads", "BLAS results with 1 vs N threads"),
    Spec("cpu.blas.batch_invariance", 1, "numpy", "cpu", "cpu_numpy", "batch_invariance", "(A@B)[:1] vs A[:1]@B"),
    Spec("cpu.numpy.simd_ufuncs", 1, "numpy", "cpu", "cpu_numpy", "simd_ufuncs", "numpy SIMD exp/sin/log/tanh fingerprint"),
    Spec("cpu.torch.ftz_daz", 1, "torch", "cpu", "cpu_torch", "ftz_daz", "FTZ/DAZ as torch CPU kernels see it"),
    Spec("cpu.torch.aten_kernels", 1, "torch", "cpu", "cpu_torch", "aten_kernels", "ATen CPU capability: softmax/layer_norm fingerprint"),
    Spec("cpu.torch.mkl_gemm", 1, "torch", "cpu", "cpu_torch", "mkl_gemm", "MKL sgemm/sgemv and its code branch (CNR)"),
    Spec("cpu.torch.threads", 1, "torch", "cpu", "cpu_torch", "threads", "torch CPU results with 1 vs N intra-op threads"),
    Spec("cpu.torch.batch_invariance", 1, "torch", "cpu", "cpu_torch", "batch_invariance", "(A@B)[:1] vs A[:1]@B in torch"),
    Spec("cpu.jax.ftz", 1, "jax", "cpu", "jax_probes", "cpu_ftz", "FTZ/DAZ inside XLA CPU kernels"),
    Spec("cpu.jax.matmul_precision", 1, "jax", "cpu", "jax_probes", "cpu_matmul_precision", "JAX default matmul precision on CPU"),
    Spec("gpu.torch.matmul_fp32_mode", 1, "torch", "gpu", "gpu_torch", "matmul_fp32_mode", "fp32 matmul internal precision: FP32/TF32/BF16"),
    Spec("gpu.torch.conv_tf32", 1, "torch", "gpu", "gpu_torch", "conv_tf32", "TF32 in cuDNN convolution"),
    Spec("gpu.torch.reduced_precision_accum", 1, "torch", "gpu", "gpu_torch", "reduced_precision_accum", "fp16/bf16 GEMM accumulation precision"),
    Spec("gpu.torch.gemm", 1, "torch", "gpu", "gpu_torch", "gemm", "cuBLAS fp32/bf16/fp16 GEMM fingerprint"),
    Spec("gpu.torch.atomics", 1, "torch", "gpu", "gpu_torch", "atomics", "index_add_/scatter_add_ run-to-run"),
    Spec("gpu.torch.batch_invariance", 1, "torch", "gpu", "gpu_torch", "batch_invariance", "(A@B)[:1] vs A[:1]@B on the GPU"),
    Spec("gpu.torch.ftz", 1, "torch", "gpu", "gpu_torch", "ftz", "flush-to-zero on the device"),
    Spec("gpu.cupy.matmul_fp32_mode", 1, "cupy", "gpu", "cupy_probes", "matmul_fp32_mode", "CuPy fp32 matmul internal precision"),
    Spec("gpu.cupy.gemm", 1, "cupy", "gpu", "cupy_probes", "gemm", "CuPy fp32/fp16 GEMM fingerprint"),
    Spec("gpu.jax.matmul_fp32_mode", 1, "jax", "gpu", "jax_probes", "gpu_matmul_fp32_mode", "JAX fp32 matmul internal precision on the GPU"),
)

BY_ID = {s.id: s for s in CATALOGUE}

# Import order in the worker: numpy first, as a training script usually does.
FRAMEWORKS = ("numpy", "torch", "jax", "cupy")


def select(patterns):
    """Specs matching ids or id prefixes ("cpu.torch", "gpu"), catalogue order. Raises KeyError
    naming the first pattern that matches nothing."""
    if not patterns:
        return list(CATALOGUE)
    chosen = set()
    for pat in patterns:
        hits = [s.id for s in CATALOGUE if s.id == pat or s.id.startswith(pat.rstrip(".") + ".")]
        if not hits:
            raise KeyError(pat)
        chosen.update(hits)
    return [s for s in CATALOGUE if s.id in chosen]
