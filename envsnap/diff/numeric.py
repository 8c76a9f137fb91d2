"""Array comparison: bytes first, statistics only where bytes differ, in bounded chunks.

An array is compared chunk by chunk (``CHUNK`` elements). A chunk whose raw bytes are equal
costs one integer comparison and contributes zeros to every statistic; only differing chunks
are converted to float64 for the statistics. Memory stays bounded by a few chunk-sized
temporaries whatever the array size (arrays are usually memory-mapped).

Conventions (documented in docs/diff.md):
- A is the reference: an element matches when |a-b| <= atol + rtol*|a| (torch.testing's rule).
- NaN matches NaN (equal_nan); NaN against a number is a mismatch and is excluded from the
  abs/rel/ULP/RMSE statistics, which it would otherwise swallow; it is counted in ``nan_inf``.
- ULP distance: floats viewed as same-width integers, mapped to a monotone integer line
  (negative floats mirrored below zero), so +0/-0 are 0 apart and the distance across zero is
  correct. p50/p99 are exact up to 32 ULP and bucketed to 1/16 relative precision above.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from .results import ArrayDiff, NanInfPattern, Tolerance, Verdict

CHUNK = 1 << 18  # elements per chunk: 2 MiB per float64 temporary
ULP_LIMIT = 4  # "within ULP": googletest's kMaxUlps for AlmostEquals

# torch.testing.assert_close defaults: (rtol, atol)
DEFAULT_TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}
FLOAT_BITS = {"float16": 16, "bfloat16": 16, "float32": 32, "float64": 64}
_INT_OF_BITS = {16: np.int16, 32: np.int32, 64: np.int64}


@dataclass(frozen=True)
class ArrayRef:
    """One array of a file: its logical dtype and shape, and a loader for its flat storage.

    ``load`` returns a 1-D array in *storage* dtype (bfloat16 as uint16, complex as pairs of
    floats are handled by ``dtype``), usually a memory map, so nothing is read until needed.
    ``offset`` is the byte offset of the data in its file when the layout is raw (npy,
    safetensors): it lets the file-level byte comparison skip chunks without reading them twice.
    """

    name: str
    dtype: str  # logical: float32, bfloat16, int64, bool, str, ...
    shape: Tuple[int, ...]
    load: Callable[[], np.ndarray]
    offset: Optional[int] = None
    order: str = "C"
    text: Optional[str] = None  # non-numeric leaves (JSON strings, CSV text columns)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1


def is_float(dtype: str) -> bool:
    return dtype in FLOAT_BITS


def tolerance_for(dtype_a: str, dtype_b: str, rtol: Optional[float], atol: Optional[float]) -> Tolerance:
    """The user's values where given, else torch.testing's default of the looser dtype."""
    defaults = [DEFAULT_TOLERANCES[d] for d in (dtype_a, dtype_b) if d in DEFAULT_TOLERANCES]
    if defaults:
        d_rtol, d_atol = max(x[0] for x in defaults), max(x[1] for x in defaults)
        d_src = f"default for {max((dtype_a, dtype_b), key=lambda d: DEFAULT_TOLERANCES.get(d, (0, 0)))} (torch.testing)"
    else:
        d_rtol, d_atol, d_src = 0.0, 0.0, f"exact for {dtype_a} (torch.testing)"
    if rtol is not None and atol is not None:
        return Tolerance(rtol=rtol, atol=atol, source="--rtol/--atol")
    if rtol is not None:
        return Tolerance(rtol=rtol, atol=d_atol, source=f"--rtol; atol {d_src}")
    if atol is not None:
        return Tolerance(rtol=d_rtol, atol=atol, source=f"--atol; rtol {d_src}")
    return Tolerance(rtol=d_rtol, atol=d_atol, source=d_src)


def to_float64(x: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "bfloat16":  # stored as uint16: the top half of a float32
        return (x.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    if x.dtype.kind == "c":
        return x.astype(np.complex128).view(np.float64)
    return x.astype(np.float64)


def ordered_ints(x: np.ndarray, bits: int) -> np.ndarray:
    """Map float bit patterns to int64 so that adjacent floats are adjacent integers."""
    i = x.view(_INT_OF_BITS[bits]).astype(np.int64)
    lowest = np.int64(np.iinfo(_INT_OF_BITS[bits]).min)
    with np.errstate(over="ignore"):  # the discarded branch may wrap for float64
        return np.where(i < 0, lowest - i, i)


def ulp_distance(a: np.ndarray, b: np.ndarray, bits: int) -> np.ndarray:
    """|ordered(a) - ordered(b)| as uint64 (exact even for float64, whose range spans 2^64)."""
    oa, ob = ordered_ints(a, bits), ordered_ints(b, bits)
    hi, lo = np.maximum(oa, ob), np.minimum(oa, ob)
    return hi.view(np.uint64) - lo.view(np.uint64)


def _bucket(d: np.ndarray) -> np.ndarray:
    """Monotone bucket id: the float64 bits of d truncated to 4 mantissa bits (exact to 31)."""
    return (d.astype(np.float64).view(np.uint64) >> np.uint64(48)).astype(np.int64)


def _unbucket(b: int) -> int:
    return int(np.array([b << 48], dtype=np.uint64).view(np.float64)[0])


class _Stats:
    """Running statistics over the differing chunks of one array pair."""

    def __init__(self, dtype: str, tol: Tolerance) -> None:
        self.dtype, self.tol = dtype, tol
        self.bits = FLOAT_BITS.get(dtype)
        self.size = self.mismatches = self.sq_count = 0
        self.sq_sum = 0.0
        self.max_abs, self.max_abs_at = 0.0, None
        self.max_rel, self.max_rel_at = 0.0, None
        self.ulp_max = 0
        self.ulp_hist = np.zeros(1 << 16, dtype=np.int64) if self.bits else None
        self.nan_a = self.nan_b = self.inf_mismatch = 0

    def identical(self, n: int) -> None:
        self.size += n
        self.sq_count += n  # zero differences (NaN/inf in identical chunks are not inspected)
        if self.ulp_hist is not None:
            self.ulp_hist[0] += n

    def chunk(self, ca: np.ndarray, cb: np.ndarray, start: int, dtype_a: str, dtype_b: str) -> None:
        self.size += len(ca)
        fa, fb = to_float64(ca, dtype_a), to_float64(cb, dtype_b)
        step = 2 if len(fa) == 2 * len(ca) else 1  # complex: two floats per element
        nan_a, nan_b = np.isnan(fa), np.isnan(fb)
        one_nan = nan_a ^ nan_b
        self.nan_a += int(np.count_nonzero(nan_a & ~nan_b))
        self.nan_b += int(np.count_nonzero(nan_b & ~nan_a))
        inf_a, inf_b = np.isinf(fa), np.isinf(fb)
        self.inf_mismatch += int(np.count_nonzero((inf_a | inf_b) & ~one_nan & (fa != fb)))
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            eq = (fa == fb) | (nan_a & nan_b)
            diff = np.where(eq, 0.0, np.abs(fa - fb))  # NaN where one side is NaN
            allowed = self.tol.atol + self.tol.rtol * np.abs(fa)
            # A non-finite value matches only its equal (an infinite reference would allow anything).
            bad = ~eq & (~(diff <= allowed) | ~np.isfinite(fa) | ~np.isfinite(fb))
            if step == 2:  # complex: an element mismatches when either component does
                bad = bad.reshape(-1, 2).any(axis=1)
            self.mismatches += int(np.count_nonzero(bad))
            diff = np.where(one_nan, 0.0, diff)  # excluded from the value statistics
            rel = np.divide(diff, np.abs(fa), out=np.where(diff > 0, np.inf, 0.0), where=fa != 0)
            rel = np.where(np.isnan(rel), np.where(diff > 0, np.inf, 0.0), rel)  # inf or NaN reference
        if diff.size:
            i = int(np.argmax(diff))
            if diff[i] > self.max_abs:
                self.max_abs, self.max_abs_at = float(diff[i]), start + i // step
            j = int(np.argmax(rel))
            if rel[j] > self.max_rel:
                self.max_rel, self.max_rel_at = float(rel[j]), start + j // step
            finite = np.isfinite(diff)
            self.sq_sum += float(np.dot(diff[finite], diff[finite]))
            self.sq_count += int(np.count_nonzero(finite))
        if self.bits and dtype_a == dtype_b:
            d = ulp_distance(ca, cb, self.bits)
            both_nan = nan_a & nan_b
            d = np.where(both_nan, np.uint64(0), d)[~one_nan]
            if d.size:
                self.ulp_max = max(self.ulp_max, int(d.max()))
                self.ulp_hist += np.bincount(_bucket(d), minlength=1 << 16)[: 1 << 16]

    def percentile(self, q: float) -> Optional[int]:
        if self.ulp_hist is None:
            return None
        total = int(self.ulp_hist.sum())
        if total == 0:
            return 0
        cum = np.cumsum(self.ulp_hist)
        b = int(np.searchsorted(cum, q * total, side="left"))
        return min(_unbucket(b), self.ulp_max)


def _index(flat: Optional[int], shape: Sequence[int], order: str) -> Optional[List[int]]:
    if flat is None:
        return None
    if not shape:
        return []
    return [int(i) for i in np.unravel_index(flat, tuple(shape), order=order)]  # type: ignore[arg-type]


def _overlaps(ranges: Sequence[Tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in ranges)


def compare_arrays(
    a: ArrayRef,
    b: ArrayRef,
    *,
    rtol: Optional[float] = None,
    atol: Optional[float] = None,
    differing: Optional[Sequence[Tuple[int, int]]] = None,
    bytes_known_equal: bool = False,
) -> ArrayDiff:
    """Compare two arrays. ``differing`` lists element ranges whose bytes may differ (from a
    file-level byte comparison); elements outside them are known identical and never read."""
    head = dict(
        name=a.name, dtype_a=a.dtype, dtype_b=b.dtype, shape_a=list(a.shape), shape_b=list(b.shape)
    )
    if a.text is not None or b.text is not None:
        same = a.text == b.text and a.dtype == b.dtype
        verdict = Verdict.BITWISE_IDENTICAL if same else (
            Verdict.STRUCTURAL_MISMATCH if (a.text is None) != (b.text is None) else Verdict.DIVERGED
        )
        note = None if same else ("numeric on one side only" if verdict == Verdict.STRUCTURAL_MISMATCH else "values differ")
        return ArrayDiff(**head, verdict=verdict, bytes_equal=same, size=1, mismatches=0 if same else 1,
                         mismatch_fraction=0.0 if same else 1.0, note=note)
    tol = tolerance_for(a.dtype, b.dtype, rtol, atol)
    if a.shape != b.shape:
        return ArrayDiff(**head, verdict=Verdict.STRUCTURAL_MISMATCH, bytes_equal=False, tolerance=tol,
                         note=f"shape {list(a.shape)} vs {list(b.shape)}")
    structural = None
    if a.dtype != b.dtype:
        structural = f"dtype {a.dtype} vs {b.dtype}"
    if a.order != b.order:
        structural = f"memory order {a.order} vs {b.order}"
    n = a.size
    if bytes_known_equal and not structural:
        stats = _Stats(a.dtype, tol)
        stats.identical(n)
        return _finish(head, stats, a, bytes_equal=True, structural=None)
    da, db = a.load(), b.load()
    if da.dtype.kind not in "biufc" or db.dtype.kind not in "biufc":  # e.g. float8: raw bytes only
        same = da.dtype == db.dtype and da.tobytes() == db.tobytes()
        return ArrayDiff(**head, size=n, bytes_equal=same,
                         verdict=Verdict.BITWISE_IDENTICAL if same else Verdict.DIVERGED,
                         note=None if same else f"bytes differ (values of {a.dtype} not decoded)")
    stats = _Stats(a.dtype if not structural else "mixed", tol)
    same_storage = da.dtype == db.dtype and not structural
    all_equal = True
    for start in range(0, n, CHUNK):
        end = min(n, start + CHUNK)
        if differing is not None and same_storage and not _overlaps(differing, start, end):
            stats.identical(end - start)
            continue
        ca, cb = da[start:end], db[start:end]
        if same_storage:
            ia = ca.view(f"u{ca.itemsize}") if ca.dtype.kind != "c" else ca.view(f"u{ca.itemsize // 2}")
            ib = cb.view(ia.dtype)
            if np.array_equal(ia, ib):
                stats.identical(end - start)
                continue
        all_equal = False
        stats.chunk(_native(ca), _native(cb), start, a.dtype, b.dtype)
    return _finish(head, stats, a, bytes_equal=all_equal and same_storage, structural=structural)


def _native(x: np.ndarray) -> np.ndarray:
    """In-memory, native byte order: the ULP code views floats as native integers."""
    return np.asarray(x).astype(x.dtype.newbyteorder("="), copy=False)


def _finish(head: dict, s: _Stats, a: ArrayRef, *, bytes_equal: bool, structural: Optional[str]) -> ArrayDiff:
    nan_inf = NanInfPattern(nan_only_a=s.nan_a, nan_only_b=s.nan_b, inf_mismatch=s.inf_mismatch)
    float_dtype = s.bits is not None
    if structural:
        verdict = Verdict.STRUCTURAL_MISMATCH
    elif bytes_equal:
        verdict = Verdict.BITWISE_IDENTICAL
    elif s.mismatches:
        verdict = Verdict.DIVERGED
    elif float_dtype and nan_inf.equal and s.ulp_max <= ULP_LIMIT:
        verdict = Verdict.WITHIN_ULP
    else:
        verdict = Verdict.WITHIN_TOLERANCE
    note = structural
    if not structural and not bytes_equal and float_dtype and s.ulp_max == 0:
        note = "values equal, bytes differ (signed zero or NaN payload)"
    return ArrayDiff(
        **head,
        verdict=verdict,
        bytes_equal=bytes_equal,
        size=s.size,
        mismatches=s.mismatches,
        mismatch_fraction=(s.mismatches / s.size) if s.size else 0.0,
        max_abs_diff=s.max_abs,
        max_abs_index=_index(s.max_abs_at, a.shape, a.order),
        max_rel_diff=s.max_rel,
        max_rel_index=_index(s.max_rel_at, a.shape, a.order),
        ulp_max=s.ulp_max if float_dtype else None,
        ulp_p50=s.percentile(0.5) if float_dtype else None,
        ulp_p99=s.percentile(0.99) if float_dtype else None,
        rmse=float(np.sqrt(s.sq_sum / s.sq_count)) if s.sq_count else 0.0,
        nan_inf=nan_inf,
        tolerance=s.tol,
        note=note,
    )


def missing_array(ref: ArrayRef, side: str) -> ArrayDiff:
    shape = list(ref.shape)
    return ArrayDiff(
        name=ref.name,
        dtype_a=ref.dtype if side == "a" else None,
        dtype_b=ref.dtype if side == "b" else None,
        shape_a=shape if side == "a" else None,
        shape_b=shape if side == "b" else None,
        verdict=Verdict.STRUCTURAL_MISMATCH,
        bytes_equal=False,
        only_in=side,  # type: ignore[arg-type]
        note=f"only in {side.upper()}",
    )
