"""What a probe function returns, and how it says it cannot run here."""


class Skip(Exception):
    """Raised by a probe that does not apply here (no GPU, no MKL): recorded as skipped."""


class Outcome(object):
    """One run of a probe: the decoded readable value, the raw output bytes, extra details."""

    __slots__ = ("details", "raw", "value")

    def __init__(self, value, raw, details=None):
        self.value = value
        self.raw = raw
        self.details = details or {}


def max_rel_diff(np, a, b):
    """max|a-b| / max|b| as a short string for readable values (normwise: elementwise relative
    errors explode where signed sums cancel to near zero)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return "%.2g" % (float(np.max(np.abs(a - b))) / max(float(np.max(np.abs(b))), 2.0 ** -1022))


def raw_bytes(*arrays):
    """Concatenated little-endian bytes of numpy arrays (C order)."""
    out = b""
    for a in arrays:
        out += a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
    return out
