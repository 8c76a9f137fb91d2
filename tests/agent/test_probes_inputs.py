"""Probe inputs come from integer hashing: the same bytes with or without numpy, on any version."""
import struct

import numpy as np
import pytest

from envsnap.agent.probes import inputs


@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_numpy_and_pure_python_generators_agree(dtype):
    assert inputs._bits_numpy(np, 7, 1000, dtype) == inputs._bits_python(7, 1000, dtype)


def test_pinned_values():
    # Changing these bytes changes every fingerprint: bump the probe versions if you must.
    assert inputs.float_bytes(101, 3, "f4").hex() == "f7a01dbfc732e8bf8b86e83f"
    assert inputs.float_bytes(101, 2, "f8").hex() == "2ff7a01dd1b6e9bf04c732e81dfff7bf"
    assert inputs.splitmix64(0x9E3779B97F4A7C15) == 0xE220A8397B1DCDAF  # splitmix64's first output from seed 0


def test_values_use_the_full_mantissa_and_a_bounded_range():
    x32 = np.frombuffer(inputs.float_bytes(3, 4096, "f4"), dtype="<f4")
    x64 = np.frombuffer(inputs.float_bytes(3, 4096, "f8"), dtype="<f8")
    for x, bits in ((x32.view(np.uint32).astype(np.uint64), 23), (x64.view(np.uint64), 52)):
        mant = x & np.uint64((1 << bits) - 1)
        for b in (0, bits // 2, bits - 1):  # low, middle and high mantissa bits all vary
            on = (mant >> np.uint64(b)) & np.uint64(1)
            assert 0 < int(on.sum()) < len(x)
    for x in (x32, x64):
        assert np.all((np.abs(x) >= 0.5) & (np.abs(x) < 2.0))
        assert 0 < int((x < 0).sum()) < len(x)


def test_fingerprint_is_a_short_stable_hash():
    assert inputs.fingerprint(b"") == "e3b0c44298fc1c14"
    assert inputs.f32_hex(1.0) == struct.pack(">f", 1.0).hex()
