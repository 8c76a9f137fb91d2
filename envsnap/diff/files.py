"""Two files: raw bytes first (like cmp), then arrays by name, statistics only where bytes differ."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ..errors import InputError
from . import loaders
from .metrics import compare_tables
from .numeric import ArrayRef, compare_arrays, missing_array
from .results import ArrayDiff, FileDiff, Verdict, worst

READ_CHUNK = 8 << 20  # bytes; bytearray == bytearray is a memcmp, as fast as cmp(1)
MAX_RANGES = 4096  # beyond this many differing chunks, compare every array chunk directly

Ranges = List[Tuple[int, int]]


def byte_compare(a: Path, b: Path) -> Tuple[bool, Optional[Ranges]]:
    """(equal, differing byte ranges at READ_CHUNK granularity; None when not mappable)."""
    try:
        if a.stat().st_size != b.stat().st_size:
            return False, None
        ranges: Ranges = []
        with a.open("rb", buffering=0) as fa, b.open("rb", buffering=0) as fb:
            ba, bb = bytearray(READ_CHUNK), bytearray(READ_CHUNK)
            pos = 0
            while True:
                na, nb = fa.readinto(ba), fb.readinto(bb)
                if na != nb:  # the file changed under us
                    return False, None
                if na == 0:
                    break
                if (ba != bb) if na == READ_CHUNK else (ba[:na] != bb[:nb]):
                    if ranges and ranges[-1][1] == pos:
                        ranges[-1] = (ranges[-1][0], pos + na)
                    else:
                        ranges.append((pos, pos + na))
                    if len(ranges) > MAX_RANGES:
                        return False, None
                pos += na
    except OSError as exc:
        raise InputError(a if not a.is_file() else b, f"cannot read: {exc.strerror or exc}") from None
    return not ranges, ranges


def _element_ranges(ref: ArrayRef, ranges: Ranges) -> Optional[Ranges]:
    if ref.offset is None:
        return None
    itemsize = ref.load().itemsize
    out: Ranges = []
    n = ref.size
    for s, e in ranges:
        lo = max(0, (s - ref.offset) // itemsize)
        hi = min(n, -(-(e - ref.offset) // itemsize))
        if lo < hi:
            out.append((lo, hi))
    return out


def compare_files(
    a: Path,
    b: Path,
    *,
    name: Optional[str] = None,
    rtol: Optional[float] = None,
    atol: Optional[float] = None,
    strict: bool = True,
) -> FileDiff:
    """``strict``: unknown formats and unreadable files raise InputError (two files given by
    the user); otherwise (inside folders) they become a per-file result."""
    label = name or (a.name if a.name == b.name else f"{a.name} vs {b.name}")
    fa, fb = loaders.detect_format(a), loaders.detect_format(b)
    equal, ranges = byte_compare(a, b)
    if fa is None or fb is None:
        if strict:
            raise InputError(a if fa is None else b, f"unknown format (expected one of {', '.join(sorted(loaders.EXTENSIONS))}, or a folder)")
        return FileDiff(path=label, format_a="bytes", format_b="bytes", bytes_equal=equal,
                        verdict=Verdict.BITWISE_IDENTICAL if equal else Verdict.DIVERGED,
                        note=None if equal else "bytes differ (not a numeric format)")
    try:
        la, lb = loaders.load(a, fa), loaders.load(b, fb)
    except InputError as exc:
        if strict:
            raise
        return FileDiff(path=label, format_a=fa, format_b=fb, bytes_equal=equal,
                        verdict=Verdict.STRUCTURAL_MISMATCH, note=exc.message)
    arrays: List[ArrayDiff] = []
    series = []
    note = None
    try:
        if la.table is not None and lb.table is not None:
            series = compare_tables(la.table, lb.table, rtol=rtol, atol=atol)
        elif (la.table is None) != (lb.table is None):
            note = "one side is a table of records, the other is not"
        else:
            arrays = _compare_arrays(la, lb, equal, ranges, rtol, atol)
    except InputError as exc:  # a member that fails only when read (compressed npz)
        if strict:
            raise
        return FileDiff(path=label, format_a=fa, format_b=fb, bytes_equal=equal,
                        verdict=Verdict.STRUCTURAL_MISMATCH, note=exc.message)
    parts = [x.verdict for x in arrays] + [s.verdict for s in series]
    if note:
        verdict = Verdict.STRUCTURAL_MISMATCH
    elif parts:
        verdict = worst(parts)
    else:
        verdict = Verdict.BITWISE_IDENTICAL if equal else Verdict.DIVERGED
    if equal:  # same bytes, same content, whatever the parts say (e.g. an empty column)
        verdict = Verdict.BITWISE_IDENTICAL
    return FileDiff(path=label, format_a=fa, format_b=fb, verdict=verdict, bytes_equal=equal,
                    arrays=arrays, series=series, note=note)


def _compare_arrays(la: loaders.Loaded, lb: loaders.Loaded, equal: bool, ranges: Optional[Ranges],
                    rtol: Optional[float], atol: Optional[float]) -> List[ArrayDiff]:
    names: Sequence[str] = sorted(set(la.arrays) | set(lb.arrays))
    raw = la.format in loaders.RAW_LAYOUT and la.format == lb.format
    out: List[ArrayDiff] = []
    for n in names:
        ra, rb = la.arrays.get(n), lb.arrays.get(n)
        if ra is None or rb is None:
            out.append(missing_array(ra or rb, "a" if rb is None else "b"))  # type: ignore[arg-type]
            continue
        differing = None
        if raw and ranges is not None and ra.offset is not None and ra.offset == rb.offset and ra.text is None:
            differing = _element_ranges(ra, ranges)
        out.append(compare_arrays(ra, rb, rtol=rtol, atol=atol, differing=differing,
                                  bytes_known_equal=equal and raw))
    return out
