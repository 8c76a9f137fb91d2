"""Rows shared by the text and Markdown diff reports: one place decides what a row says."""
from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

from ..diff.results import ArrayDiff, FileDiff, OutputsDiff, SeriesDiff, Verdict

MAX_ROWS = 50  # per table; the JSON report has everything


def num(x: Optional[float]) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return "inf" if x > 0 else ("-inf" if x < 0 else "nan")
    if isinstance(x, int) or (float(x).is_integer() and abs(x) < 1e15):
        return str(int(x))
    return f"{x:.4g}"


def idx(i: Optional[Sequence[int]]) -> str:
    return "" if i is None else f" @[{','.join(map(str, i))}]"


def array_label(f: FileDiff, a: ArrayDiff) -> str:
    return f.path if not a.name else f"{f.path}:{a.name}"


ARRAY_HEADER = ("array", "dtype", "shape", "verdict", "mismatches", "max abs diff", "max rel diff",
                "ULP max/p50/p99", "RMSE", "NaN/Inf (A only, B only, inf)", "tolerance")


def array_row(f: FileDiff, a: ArrayDiff) -> Tuple[str, ...]:
    dtype = a.dtype_a if a.dtype_a == a.dtype_b else f"{a.dtype_a} / {a.dtype_b}"
    shape = str(a.shape_a) if a.shape_a == a.shape_b else f"{a.shape_a} / {a.shape_b}"
    ulp = "-" if a.ulp_max is None else f"{a.ulp_max}/{a.ulp_p50}/{a.ulp_p99}"
    tol = "-" if a.tolerance is None else f"rtol {a.tolerance.rtol:g} atol {a.tolerance.atol:g} ({a.tolerance.source})"
    nan = "-" if a.nan_inf.equal else f"{a.nan_inf.nan_only_a}, {a.nan_inf.nan_only_b}, {a.nan_inf.inf_mismatch}"
    mism = f"{a.mismatches} ({a.mismatch_fraction:.3%})" if a.size else "-"
    verdict = a.verdict.value + (f" ({a.note})" if a.note else "")
    return (array_label(f, a), dtype or "-", shape, verdict, mism, num(a.max_abs_diff) + idx(a.max_abs_index),
            num(a.max_rel_diff) + idx(a.max_rel_index), ulp, num(a.rmse), nan, tol)


SERIES_HEADER = ("metric", "steps A/B/common", "first bitwise divergence", "first beyond tolerance",
                 "values there (A, B)", "max abs diff", "verdict")


def series_row(f: FileDiff, s: SeriesDiff) -> Tuple[str, ...]:
    at = (
        "-"
        if s.values_at_first_beyond is None
        else f"{num(s.values_at_first_beyond[0])}, {num(s.values_at_first_beyond[1])}"
    )
    steps = f"{s.steps_a}/{s.steps_b}/{s.steps_common}"
    if s.only_a or s.only_b:
        steps += f" (only A: {', '.join(map(num, s.only_a)) or '-'}; only B: {', '.join(map(num, s.only_b)) or '-'})"
    first_bits = "-" if s.first_bitwise_divergence is None else f"{s.index} {num(s.first_bitwise_divergence)}"
    first_tol = "-" if s.first_beyond_tolerance is None else f"{s.index} {num(s.first_beyond_tolerance)}"
    return (f"{f.path}:{s.name}", steps, first_bits, first_tol, at, num(s.stats.max_abs_diff), s.verdict.value)


def file_rows(files: Sequence[FileDiff]) -> List[Tuple[str, ...]]:
    rows: List[Tuple[str, ...]] = []
    for f in files:
        fmt = f.format_a if f.format_a == f.format_b else f"{f.format_a} / {f.format_b}"
        n_arrays = len(f.arrays)
        same = sum(1 for a in f.arrays if a.verdict == Verdict.BITWISE_IDENTICAL)
        parts = []
        if n_arrays:
            parts.append(f"{same}/{n_arrays} arrays bitwise identical")
        if f.series:
            parts.append(f"{len(f.series)} series")
        if f.note:
            parts.append(f.note)
        rows.append((f.path, fmt or "-", f.verdict.value, "; ".join(parts)))
    return rows


def differing_arrays(files: Sequence[FileDiff]) -> List[Tuple[FileDiff, ArrayDiff]]:
    return [(f, a) for f in files for a in f.arrays if a.verdict != Verdict.BITWISE_IDENTICAL]


def series(files: Sequence[FileDiff]) -> List[Tuple[FileDiff, SeriesDiff]]:
    return [(f, s) for f in files for s in f.series]


def outputs_files(o: Optional[OutputsDiff]) -> List[FileDiff]:
    return list(o.files) if o else []
