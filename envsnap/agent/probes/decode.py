"""Pure decoding of probe outputs into readable modes.

Kept free of any framework so the host's tests can check each decoder on emulated inputs,
and so every framework's probe (torch, cupy, jax) reads its numbers the same way.
"""

# fp32 matmul precision: a product a*1 keeps 1+2^-9 with >= 10 mantissa bits (TF32, FP32) and
# 1+2^-13 only with > 13 bits (FP32, or an fp32 emulation such as bf16x3 / 3xTF32).
TF32_PROBE = 1.0 + 2.0 ** -9
FP32_PROBE = 1.0 + 2.0 ** -13


def decode_matmul_mode(r9, r13):
    """Internal precision of an fp32 matmul from the products (1+2^-9)*1 and (1+2^-13)*1."""
    keeps9 = r9 == TF32_PROBE
    keeps13 = r13 == FP32_PROBE
    if keeps9 and keeps13:
        return "FP32"
    if keeps9 and r13 == 1.0:
        return "TF32"
    if r9 == 1.0 and r13 == 1.0:
        return "BF16"
    return "unknown (%r, %r)" % (r9, r13)


def decode_ftz_daz(ftz_out, daz_out):
    """ftz_out = smallest normal * 0.5 (0 when results are flushed);
    daz_out = smallest subnormal * 2^k, a normal number (0 when subnormal inputs read as zero)."""
    return "ftz=%s daz=%s" % ("on" if ftz_out == 0.0 else "off", "on" if daz_out == 0.0 else "off")


# dot([-1, x], [1, x]) with x = 1 + 2^-27 in float64: x*x = 1 + 2^-26 + 2^-54 exactly; a fused
# multiply-add keeps the 2^-54, a separate multiply rounds it away before the -1 cancels.
FMA_X64 = 1.0 + 2.0 ** -27
FMA_WITH64 = 2.0 ** -26 + 2.0 ** -54
FMA_WITHOUT64 = 2.0 ** -26
# the float32 analogue: x = 1 + 2^-12, x*x = 1 + 2^-11 + 2^-24
FMA_X32 = 1.0 + 2.0 ** -12
FMA_WITH32 = 2.0 ** -11 + 2.0 ** -24
FMA_WITHOUT32 = 2.0 ** -11


def decode_fma(result, with_fma, without_fma):
    if result == with_fma:
        return "fma"
    if result == without_fma:
        return "no fma"
    return "other (%r)" % result


def decode_accumulation(total, k):
    """A low-precision GEMM of ones with inner dimension k: k when it accumulates in fp32;
    a sum that stalls below k (2048 for fp16, 256 for bf16) when it accumulates in the input type."""
    if total == k:
        return "fp32 accumulate"
    return "reduced-precision accumulate (sum %g of %d)" % (total, k)


def decode_variants(fingerprints):
    """Run-to-run behaviour of a repeated computation from the fingerprints of its repeats."""
    distinct = len(set(fingerprints))
    if distinct == 1:
        return "deterministic (%d repeats)" % len(fingerprints)
    return "nondeterministic (%d distinct results in %d repeats)" % (distinct, len(fingerprints))
