"""Raw bytes and relative differences of torch tensors, with or without numpy installed."""


def tensor_bytes(torch, *tensors):
    out = b""
    for t in tensors:
        t = t.detach().cpu().contiguous().clone()  # clone: a slice's storage would hold more than the view
        if t.dtype in (torch.float16, torch.bfloat16):
            t = t.view(torch.int16)  # numpy has no bfloat16
        try:
            out += t.numpy().tobytes()
        except (RuntimeError, TypeError):  # torch built without numpy support
            out += bytes(t.untyped_storage())
    return out


def max_rel(torch, a, b):
    a = a.detach().cpu().double()
    b = b.detach().cpu().double()
    return "%.2g" % (
        float((a - b).abs().max()) / max(float(b.abs().max()), 2.0**-1022)
    )  # normwise, as base.max_rel_diff
