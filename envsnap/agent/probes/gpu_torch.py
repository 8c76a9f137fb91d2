"""GPU probes through PyTorch (CUDA or ROCm builds). Without a device they skip, never fail.

The input builders and readers are plain functions of a device so the host's tests can drive
them with CPU tensors that emulate each precision mode.
"""
from . import decode
from .base import Outcome, Skip
from .inputs import fingerprint, torch_floats
from .torch_util import max_rel, tensor_bytes

N = 256  # big enough that cuBLAS/cuDNN pick their tensor-core kernels


def _device():
    import torch

    if not torch.cuda.is_available():
        raise Skip("no CUDA device")
    return torch.device("cuda", torch.cuda.current_device())


def _sync(torch):
    torch.cuda.synchronize()


def matmul_mode_inputs(torch, device, n=N):
    """A @ B puts (1+2^-9)*1 in C[0,0] and (1+2^-13)*1 in C[1,0]; every other product is 0."""
    a = torch.zeros((n, n), dtype=torch.float32)
    a[0, 0] = decode.TF32_PROBE
    a[1, 0] = decode.FP32_PROBE
    b = torch.zeros((n, n), dtype=torch.float32)
    b[0, :] = 1.0
    return a.to(device), b.to(device)


def read_matmul_mode(c):
    return decode.decode_matmul_mode(float(c[0, 0]), float(c[1, 0]))


def conv_mode_inputs(torch, device, channels=32, size=16):
    """A 1x1 convolution summing channel 0 only: output pixel 0 is (1+2^-9)*1, pixel 1 (1+2^-13)*1."""
    x = torch.zeros((8, channels, size, size), dtype=torch.float32)
    x[0, 0, 0, 0] = decode.TF32_PROBE
    x[0, 0, 1, 0] = decode.FP32_PROBE
    w = torch.zeros((channels, channels, 1, 1), dtype=torch.float32)
    w[:, 0, 0, 0] = 1.0
    return x.to(device), w.to(device)


def read_conv_mode(y):
    return decode.decode_matmul_mode(float(y[0, 0, 0, 0]), float(y[0, 0, 1, 0]))


def accumulation_total(torch, device, dtype, k=4096):
    ones_a = torch.ones((64, k), dtype=dtype, device=device)
    ones_b = torch.ones((k, 64), dtype=dtype, device=device)
    return (ones_a @ ones_b).float()


def _name(torch, device):
    props = torch.cuda.get_device_properties(device)
    return "%s (sm_%d%d)" % (props.name, props.major, props.minor)


def matmul_fp32_mode():
    import torch

    dev = _device()
    a, b = matmul_mode_inputs(torch, dev)
    c = a @ b
    _sync(torch)
    flags = {"allow_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
             "float32_matmul_precision": torch.get_float32_matmul_precision()}
    return Outcome(read_matmul_mode(c), tensor_bytes(torch, c[:2, :1]), flags)


def conv_tf32():
    import torch

    dev = _device()
    if not torch.backends.cudnn.is_available():
        raise Skip("cuDNN is not available")
    x, w = conv_mode_inputs(torch, dev)
    y = torch.nn.functional.conv2d(x, w)
    _sync(torch)
    return Outcome(read_conv_mode(y), tensor_bytes(torch, y[0, 0, :2, :1]),
                   {"cudnn.allow_tf32": bool(torch.backends.cudnn.allow_tf32)})


def reduced_precision_accum():
    import torch

    dev = _device()
    out = {}
    raws = []
    for name, dtype in (("fp16", torch.float16), ("bf16", torch.bfloat16)):
        total = accumulation_total(torch, dev, dtype)
        _sync(torch)
        raws.append(total)
        out[name] = decode.decode_accumulation(float(total[0, 0]), 4096)
    value = "fp16 %s; bf16 %s" % (out["fp16"], out["bf16"])
    return Outcome(value, tensor_bytes(torch, *raws), out)


def gemm():
    import torch

    dev = _device()
    a = torch_floats(torch, 301, (N, N), "f4").to(dev)
    b = torch_floats(torch, 302, (N, N), "f4").to(dev)
    outs = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16), ("fp16", torch.float16)):
        outs[name] = a.to(dtype) @ b.to(dtype)
    _sync(torch)
    ref = a.double() @ b.double()
    details = {k: fingerprint(tensor_bytes(torch, v)) for k, v in outs.items()}
    details["fp32_max_rel_err_vs_f64"] = max_rel(torch, outs["fp32"], ref)
    return Outcome(_name(torch, dev), tensor_bytes(torch, *outs.values()), details)


def atomics():
    import torch

    dev = _device()
    src = torch_floats(torch, 303, (1 << 16,), "f4").to(dev)
    index = (torch.arange(1 << 16, device=dev) * 7919) % 16  # heavy collisions on 16 bins
    prints = []
    results = []
    for _ in range(8):
        acc = torch.zeros(16, device=dev).index_add_(0, index, src)
        sca = torch.zeros(16, device=dev).scatter_add_(0, index, src)
        raw = tensor_bytes(torch, acc, sca)
        prints.append(fingerprint(raw))
        results.append(raw)
    return Outcome(
        decode.decode_variants(prints),
        results[0],
        {"deterministic_algorithms": torch.are_deterministic_algorithms_enabled()},
    )


def batch_invariance():
    import torch

    dev = _device()
    a = torch_floats(torch, 304, (64, N), "f4").to(dev)
    b = torch_floats(torch, 305, (N, N), "f4").to(dev)
    batched = (a @ b)[:1]
    single = a[:1] @ b
    _sync(torch)
    value = "invariant" if torch.equal(batched, single) else "varies (max rel %s)" % max_rel(torch, batched, single)
    return Outcome(value, tensor_bytes(torch, batched, single), {})


def ftz():
    import torch

    dev = _device()
    tiny32 = torch.finfo(torch.float32).tiny
    f32 = torch.tensor([tiny32, 2.0**-149], dtype=torch.float32, device=dev) * torch.tensor(
        [0.5, 2.0**100], dtype=torch.float32, device=dev
    )
    _sync(torch)
    return Outcome(decode.decode_ftz_daz(float(f32[0]), float(f32[1])), tensor_bytes(torch, f32), {})
