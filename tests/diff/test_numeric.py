"""Array comparison on real numpy arrays: verdicts, statistics, ULP distance, tolerances."""
from __future__ import annotations

import numpy as np
import pytest

from envsnap.diff import numeric
from envsnap.diff.numeric import ArrayRef, compare_arrays, tolerance_for, ulp_distance
from envsnap.diff.results import Verdict


def ref(x: np.ndarray, name: str = "x", dtype: str | None = None) -> ArrayRef:
    flat = np.ascontiguousarray(x).reshape(-1)
    return ArrayRef(name=name, dtype=dtype or ("bool" if x.dtype.kind == "b" else x.dtype.name),
                    shape=tuple(x.shape), load=lambda: flat)


def test_identical_arrays_are_bitwise_identical():
    x = np.linspace(-3, 3, 1000, dtype=np.float32).reshape(10, 100)
    d = compare_arrays(ref(x), ref(x.copy()))
    assert d.verdict == Verdict.BITWISE_IDENTICAL and d.bytes_equal
    assert d.ulp_max == 0 and d.max_abs_diff == 0 and d.size == 1000


def test_one_ulp_apart_is_within_ulp_with_location():
    x = np.linspace(1, 2, 100, dtype=np.float32).reshape(4, 25)
    y = x.copy()
    y[2, 7] = np.nextafter(y[2, 7], np.float32(3))
    d = compare_arrays(ref(x), ref(y))
    assert d.verdict == Verdict.WITHIN_ULP
    assert d.ulp_max == 1 and d.ulp_p50 == 0 and d.mismatches == 0
    assert d.max_abs_index == [2, 7] and d.max_rel_index == [2, 7]
    assert d.max_abs_diff == pytest.approx(float(y[2, 7]) - float(x[2, 7]))


def test_within_tolerance_but_more_than_ulp_limit():
    x = np.full(10, 1.0, dtype=np.float32)
    y = x.copy()
    y[3] = np.float32(1.0 + 10 * 2.0**-23)  # 10 ULP, below rtol 1.3e-6
    d = compare_arrays(ref(x), ref(y))
    assert d.verdict == Verdict.WITHIN_TOLERANCE and d.ulp_max == 10
    assert d.tolerance.rtol == 1.3e-6 and d.tolerance.atol == 1e-5 and "float32" in d.tolerance.source


def test_diverged_counts_mismatches_rmse_and_fraction():
    x = np.zeros(1000, dtype=np.float64)
    y = x.copy()
    y[:10] = 1.0
    d = compare_arrays(ref(x), ref(y))
    assert d.verdict == Verdict.DIVERGED and d.exit_code if hasattr(d, "exit_code") else True
    assert d.mismatches == 10 and d.mismatch_fraction == pytest.approx(0.01)
    assert d.rmse == pytest.approx(np.sqrt(10 / 1000))
    assert d.max_rel_diff == float("inf")  # reference 0: as torch.testing reports it


def test_user_tolerance_overrides_default_and_is_named():
    x = np.ones(4, dtype=np.float32)
    y = x + np.float32(0.01)
    assert compare_arrays(ref(x), ref(y)).verdict == Verdict.DIVERGED
    d = compare_arrays(ref(x), ref(y), rtol=0.1, atol=0.0)
    assert d.verdict == Verdict.WITHIN_TOLERANCE and d.tolerance.source == "--rtol/--atol"
    d = compare_arrays(ref(x), ref(y), atol=0.1)
    assert d.verdict == Verdict.WITHIN_TOLERANCE and d.tolerance.source.startswith("--atol; rtol default")


@pytest.mark.parametrize("dtype,expected", [
    ("float16", (1e-3, 1e-5)), ("bfloat16", (1.6e-2, 1e-5)), ("float32", (1.3e-6, 1e-5)),
    ("float64", (1e-7, 1e-7)), ("int64", (0.0, 0.0)),
])
def test_default_tolerances_follow_torch_testing(dtype, expected):
    t = tolerance_for(dtype, dtype, None, None)
    assert (t.rtol, t.atol) == expected


def test_default_tolerances_match_torch_itself():
    torch = pytest.importorskip("torch")
    from torch.testing._comparison import default_tolerances

    for name in ("float16", "bfloat16", "float32", "float64"):
        rtol, atol = default_tolerances(getattr(torch, name))
        t = tolerance_for(name, name, None, None)
        assert (t.rtol, t.atol) == (rtol, atol), name


def test_ulp_distance_handles_sign_zero_and_crossing_zero():
    f = np.float32
    tiny = np.array([np.nextafter(f(0), f(1))], dtype=f)
    assert ulp_distance(np.array([0.0], f), np.array([-0.0], f), 32)[0] == 0
    assert ulp_distance(tiny, -tiny, 32)[0] == 2  # +min_subnormal .. -min_subnormal
    assert ulp_distance(np.array([-1.0], f), np.array([np.nextafter(f(-1), f(-2))], f), 32)[0] == 1
    big = ulp_distance(np.array([np.finfo(np.float64).max]), np.array([-np.finfo(np.float64).max]), 64)[0]
    assert big == 2 * 0x7FEFFFFFFFFFFFFF  # exact across the whole float64 line


def test_nan_inf_pattern_and_equal_nan():
    x = np.array([np.nan, 1.0, np.inf, 2.0, np.nan], dtype=np.float32)
    y = np.array([np.nan, np.nan, 1.0, 2.0, np.nan], dtype=np.float32)
    d = compare_arrays(ref(x), ref(y))
    assert d.verdict == Verdict.DIVERGED and d.mismatches == 2
    assert d.nan_inf.nan_only_b == 1 and d.nan_inf.nan_only_a == 0 and d.nan_inf.inf_mismatch == 1
    same = compare_arrays(ref(x), ref(x.copy()))
    assert same.verdict == Verdict.BITWISE_IDENTICAL


def test_signed_zero_is_within_ulp_with_a_note():
    d = compare_arrays(ref(np.array([0.0, 1.0])), ref(np.array([-0.0, 1.0])))
    assert d.verdict == Verdict.WITHIN_ULP and d.ulp_max == 0 and "signed zero" in d.note


def test_shape_and_dtype_mismatch_are_structural():
    x = np.zeros((2, 3), dtype=np.float32)
    assert compare_arrays(ref(x), ref(np.zeros((3, 2), np.float32))).verdict == Verdict.STRUCTURAL_MISMATCH
    d = compare_arrays(ref(x), ref(np.zeros((2, 3), np.float64)))
    assert d.verdict == Verdict.STRUCTURAL_MISMATCH and "dtype" in d.note


def test_integers_are_exact():
    x = np.arange(10, dtype=np.int64)
    y = x.copy()
    y[4] += 1
    d = compare_arrays(ref(x), ref(y))
    assert d.verdict == Verdict.DIVERGED and d.ulp_max is None and d.mismatches == 1


def test_bfloat16_storage_decodes_and_counts_ulps():
    torch = pytest.importorskip("torch")
    t = torch.linspace(1, 2, 64, dtype=torch.bfloat16)
    u = t.clone()
    u[5] = torch.nextafter(u[5:6], torch.tensor([3.0], dtype=torch.bfloat16))[0]
    a = t.view(torch.int16).numpy().view(np.uint16)
    b = u.view(torch.int16).numpy().view(np.uint16)
    d = compare_arrays(ref(a, dtype="bfloat16"), ref(b, dtype="bfloat16"))
    assert d.verdict == Verdict.WITHIN_ULP and d.ulp_max == 1
    assert d.max_abs_diff == pytest.approx(float(u[5]) - float(t[5]))


def test_chunks_agree_with_a_single_pass(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(10_000).astype(np.float32)
    y = x.copy()
    y[[5, 4000, 9999]] += np.float32(1e-3)
    whole = compare_arrays(ref(x), ref(y))
    monkeypatch.setattr(numeric, "CHUNK", 1000)
    chunked = compare_arrays(ref(x), ref(y))
    assert chunked == whole
    assert whole.mismatches == 3 and whole.max_abs_index in ([5], [4000], [9999])


def test_percentiles_are_exact_for_small_distances():
    x = np.ones(100, dtype=np.float32)
    y = x.view(np.int32).copy()
    y[:60] += 3  # 60 elements 3 ULP apart, 40 equal
    d = compare_arrays(ref(x), ref(y.view(np.float32)))
    assert d.ulp_p50 == 3 and d.ulp_p99 == 3 and d.ulp_max == 3
