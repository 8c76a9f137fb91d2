"""Per-step metric series (metrics.jsonl, CSV with a step column) compared step by step.

Each metric is aligned on the steps where *both* sides logged it; steps present on one side
only make the series a structural mismatch (a run that stopped early did not reproduce).
Metrics are Python floats (float64), so the float64 default tolerance applies unless given.
"""
from __future__ import annotations

from typing import List, Optional, Union

import numpy as np

from .loaders import Table
from .numeric import ArrayRef, compare_arrays
from .results import ArrayDiff, SeriesDiff, Verdict, worst

SHOW_STEPS = 5  # how many one-sided steps a report lists


def _num(x: float) -> Union[int, float]:
    return int(x) if float(x).is_integer() else float(x)


def _array(name: str, values: List[float]) -> ArrayRef:
    arr = np.asarray(values, dtype=np.float64)
    return ArrayRef(name=name, dtype="float64", shape=(len(values),), load=lambda: arr)


def compare_tables(a: Table, b: Table, *, rtol: Optional[float] = None, atol: Optional[float] = None) -> List[SeriesDiff]:
    out: List[SeriesDiff] = []
    index = "step" if a.index == b.index == "step" else "row"
    names = list(a.columns) + [n for n in b.columns if n not in a.columns]
    for name in names:
        sa = _present(a, name)
        sb = _present(b, name)
        out.append(compare_series(name, sa, sb, index=index, rtol=rtol, atol=atol))
    for name in sorted(set(a.text_columns) | set(b.text_columns)):
        ta = dict(zip(a.steps, a.text_columns.get(name, [])))
        tb = dict(zip(b.steps, b.text_columns.get(name, [])))
        common = sorted(set(ta) & set(tb))
        first = next((s for s in common if ta[s] != tb[s]), None)
        same = first is None and set(ta) == set(tb)
        verdict = Verdict.BITWISE_IDENTICAL if same else (Verdict.DIVERGED if first is not None else Verdict.STRUCTURAL_MISMATCH)
        stats = ArrayDiff(name=name, dtype_a="str", dtype_b="str", verdict=verdict, bytes_equal=same, size=len(common),
                          note="text column")
        out.append(SeriesDiff(name=name, index=index, steps_a=len(ta), steps_b=len(tb), steps_common=len(common),
                              only_a=[_num(s) for s in sorted(set(ta) - set(tb))[:SHOW_STEPS]],
                              only_b=[_num(s) for s in sorted(set(tb) - set(ta))[:SHOW_STEPS]],
                              first_bitwise_divergence=None if first is None else _num(first),
                              first_beyond_tolerance=None if first is None else _num(first),
                              stats=stats, verdict=verdict))
    return out


def _present(t: Table, name: str) -> dict:
    return {s: v for s, v in zip(t.steps, t.columns.get(name, [])) if v is not None}


def compare_series(name: str, sa: dict, sb: dict, *, index: str = "step", rtol: Optional[float] = None,
                   atol: Optional[float] = None) -> SeriesDiff:
    common = sorted(set(sa) & set(sb))
    va = [sa[s] for s in common]
    vb = [sb[s] for s in common]
    stats = compare_arrays(_array(name, va), _array(name, vb), rtol=rtol, atol=atol)
    tol = stats.tolerance
    first_bits = first_beyond = None
    at_beyond = None
    a_arr, b_arr = np.asarray(va, dtype=np.float64), np.asarray(vb, dtype=np.float64)
    if common:
        bits_differ = a_arr.view(np.uint64) != b_arr.view(np.uint64)
        idx = np.flatnonzero(bits_differ)
        if idx.size:
            first_bits = _num(common[int(idx[0])])
        with np.errstate(invalid="ignore"):
            both_nan = np.isnan(a_arr) & np.isnan(b_arr)
            ok = (a_arr == b_arr) | both_nan | (np.abs(a_arr - b_arr) <= tol.atol + tol.rtol * np.abs(a_arr))
        bad = np.flatnonzero(~ok)
        if bad.size:
            i = int(bad[0])
            first_beyond, at_beyond = _num(common[i]), (float(a_arr[i]), float(b_arr[i]))
    only_a = sorted(set(sa) - set(sb))
    only_b = sorted(set(sb) - set(sa))
    verdict = stats.verdict
    if only_a or only_b or bool(sa) != bool(sb):
        verdict = worst([verdict, Verdict.STRUCTURAL_MISMATCH])
    return SeriesDiff(
        name=name, index=index,  # type: ignore[arg-type]
        steps_a=len(sa), steps_b=len(sb), steps_common=len(common),
        only_a=[_num(s) for s in only_a[:SHOW_STEPS]], only_b=[_num(s) for s in only_b[:SHOW_STEPS]],
        first_bitwise_divergence=first_bits, first_beyond_tolerance=first_beyond,
        values_at_first_beyond=at_beyond, stats=stats, verdict=verdict,
        steps=[_num(s) for s in common], values_a=va, values_b=vb,
    )
