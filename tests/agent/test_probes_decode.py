"""The decoders that turn probe outputs into modes. GPU modes cannot run here (no GPU), so the
GPU probes' own input builders are driven with CPU tensors that EMULATE each precision mode:
inputs rounded to the TF32 (10-bit) or bf16 (7-bit) mantissa before an exact fp32 product,
which is what tensor cores do to fp32 operands in those modes."""
import importlib.util
from fractions import Fraction

import numpy as np
import pytest

from envsnap.agent.probes import decode

needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not importable")


def round_mantissa(t, bits):
    """EMULATION: round fp32 values to `bits` explicit mantissa bits, ties to even (as cuBLAS's
    TF32 / bf16 conversion does). Non-negative values only: all the probes' crafted inputs are."""
    import torch

    drop = 23 - bits
    if drop == 0:
        return t.clone()
    i = t.contiguous().view(torch.int32).to(torch.int64)
    half = 1 << (drop - 1)
    lsb = (i >> drop) & 1
    i = ((i + half - 1 + lsb) >> drop) << drop
    return i.to(torch.int32).view(torch.float32)


@needs_torch
@pytest.mark.parametrize("mode,bits", [("FP32", 23), ("TF32", 10), ("BF16", 7)])
def test_matmul_mode_decoded_from_emulated_modes(mode, bits):
    import torch

    from envsnap.agent.probes import gpu_torch

    a, b = gpu_torch.matmul_mode_inputs(torch, "cpu", n=32)
    c = round_mantissa(a, bits).double() @ round_mantissa(b, bits).double()  # exact products, emulated rounding
    assert gpu_torch.read_matmul_mode(c) == mode


@needs_torch
@pytest.mark.parametrize("mode,bits", [("FP32", 23), ("TF32", 10), ("BF16", 7)])
def test_conv_mode_decoded_from_emulated_modes(mode, bits):
    import torch

    from envsnap.agent.probes import gpu_torch

    x, w = gpu_torch.conv_mode_inputs(torch, "cpu", channels=4, size=4)
    y = torch.nn.functional.conv2d(round_mantissa(x, bits).double(), round_mantissa(w, bits).double())
    assert gpu_torch.read_conv_mode(y) == mode


@needs_torch
def test_fp32_matmul_on_this_cpu_reads_as_fp32():
    import torch

    from envsnap.agent.probes import gpu_torch

    a, b = gpu_torch.matmul_mode_inputs(torch, "cpu", n=64)
    assert gpu_torch.read_matmul_mode(a @ b) == "FP32"


def test_matmul_mode_rejects_nonsense():
    assert decode.decode_matmul_mode(1.5, 1.0).startswith("unknown")


def _sequential_sum(dtype, k):
    acc = np.array(0, dtype=dtype)
    one = np.array(1, dtype=dtype)
    for _ in range(k):
        acc = (acc + one).astype(dtype)
    return float(acc)


@pytest.mark.parametrize("dtype,stall", [(np.float16, 2048.0), (np.float32, 4096.0)])
def test_accumulation_decoded_from_emulated_accumulators(dtype, stall):
    # EMULATION: a K=4096 dot product of ones accumulated sequentially in the given type
    total = _sequential_sum(dtype, 4096)
    assert total == stall
    expected = "fp32 accumulate" if dtype is np.float32 else "reduced-precision accumulate (sum 2048 of 4096)"
    assert decode.decode_accumulation(total, 4096) == expected


def test_fma_constants_are_exact():
    x = Fraction(decode.FMA_X64)
    assert x * x - 1 == Fraction(decode.FMA_WITH64)
    assert Fraction(decode.FMA_X64 * decode.FMA_X64 - 1.0) == Fraction(decode.FMA_WITHOUT64)  # separate rounding
    assert decode.decode_fma(decode.FMA_WITH64, decode.FMA_WITH64, decode.FMA_WITHOUT64) == "fma"
    assert decode.decode_fma(decode.FMA_WITHOUT64, decode.FMA_WITH64, decode.FMA_WITHOUT64) == "no fma"
    x32 = np.float32(decode.FMA_X32)
    assert float(x32 * x32 - np.float32(1)) == decode.FMA_WITHOUT32
    assert Fraction(float(x32)) ** 2 - 1 == Fraction(decode.FMA_WITH32)


def test_ftz_daz_decoding():
    tiny = float(np.finfo(np.float32).tiny)
    assert decode.decode_ftz_daz(tiny * 0.5, 2.0 ** -49) == "ftz=off daz=off"
    assert decode.decode_ftz_daz(0.0, 0.0) == "ftz=on daz=on"
    assert decode.decode_ftz_daz(0.0, 2.0 ** -49) == "ftz=on daz=off"


def test_variants():
    assert decode.decode_variants(["a"] * 8) == "deterministic (8 repeats)"
    assert decode.decode_variants(["a", "b", "a"]) == "nondeterministic (2 distinct results in 3 repeats)"
