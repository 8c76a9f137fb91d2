"""Real files of every supported format: verdicts, pairing, bad input (one line, exit 2)."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from envsnap.cli import main
from envsnap.diff import diff_outputs
from envsnap.diff.files import byte_compare, compare_files
from envsnap.diff.results import Verdict
from envsnap.errors import InputError


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_npy_identical_and_diverged(tmp_path):
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    np.save(tmp_path / "a.npy", x)
    np.save(tmp_path / "same.npy", x)
    y = x.copy()
    y[1, 2] += 1
    np.save(tmp_path / "b.npy", y)
    same = diff_outputs(tmp_path / "a.npy", tmp_path / "same.npy")
    assert same.verdict == Verdict.BITWISE_IDENTICAL and same.exit_code == 0
    d = diff_outputs(tmp_path / "a.npy", tmp_path / "b.npy")
    assert d.verdict == Verdict.DIVERGED and d.exit_code == 1
    arr = d.files[0].arrays[0]
    assert arr.max_abs_index == [1, 2] and arr.mismatches == 1 and arr.shape_a == [3, 4]


def test_fortran_order_index_is_reported_in_array_coordinates(tmp_path):
    x = np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3))
    y = x.copy(order="F")
    y[1, 0] = 100
    np.save(tmp_path / "a.npy", x)
    np.save(tmp_path / "b.npy", y)
    arr = diff_outputs(tmp_path / "a.npy", tmp_path / "b.npy").files[0].arrays[0]
    assert arr.max_abs_index == [1, 0]


def test_byte_compare_finds_the_differing_chunk(tmp_path, monkeypatch):
    from envsnap.diff import files

    monkeypatch.setattr(files, "READ_CHUNK", 1024)
    data = bytearray(10_000)
    (tmp_path / "a").write_bytes(bytes(data))
    data[5000] = 1
    (tmp_path / "b").write_bytes(bytes(data))
    assert byte_compare(tmp_path / "a", tmp_path / "a") == (True, [])
    assert byte_compare(tmp_path / "a", tmp_path / "b") == (False, [(4096, 5120)])


def test_large_npy_only_differing_chunks_are_read(tmp_path, monkeypatch):
    from envsnap.diff import files, numeric

    monkeypatch.setattr(files, "READ_CHUNK", 4096)
    monkeypatch.setattr(numeric, "CHUNK", 256)
    x = np.linspace(0, 1, 100_000, dtype=np.float32)
    y = x.copy()
    y[77_777] = np.nextafter(y[77_777], np.float32(2))
    np.save(tmp_path / "a.npy", x)
    np.save(tmp_path / "b.npy", y)
    seen = []
    real = numeric._Stats.chunk

    def spy(self, ca, cb, start, *args):
        seen.append(start)
        return real(self, ca, cb, start, *args)

    monkeypatch.setattr(numeric._Stats, "chunk", spy)
    arr = diff_outputs(tmp_path / "a.npy", tmp_path / "b.npy").files[0].arrays[0]
    assert arr.verdict == Verdict.WITHIN_ULP and arr.max_abs_index == [77_777] and arr.size == 100_000
    assert seen == [77_777 // 256 * 256]


def test_npz_members_paired_by_name(tmp_path):
    np.savez_compressed(tmp_path / "a.npz", w=np.ones(5), b=np.zeros(2), only_a=np.ones(1))
    np.savez(tmp_path / "b.npz", w=np.ones(5), b=np.zeros(3))
    f = diff_outputs(tmp_path / "a.npz", tmp_path / "b.npz").files[0]
    by = {a.name: a for a in f.arrays}
    assert by["w"].verdict == Verdict.BITWISE_IDENTICAL
    assert by["b"].verdict == Verdict.STRUCTURAL_MISMATCH
    assert by["only_a"].only_in == "a"


def test_safetensors_with_bf16(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    t = {"w": torch.linspace(0, 1, 50, dtype=torch.bfloat16), "i": torch.arange(4)}
    save_file(t, tmp_path / "a.safetensors")
    u = {k: v.clone() for k, v in t.items()}
    u["w"][10] = torch.nextafter(u["w"][10:11], torch.tensor([2.0], dtype=torch.bfloat16))[0]
    save_file(u, tmp_path / "b.safetensors")
    f = diff_outputs(tmp_path / "a.safetensors", tmp_path / "b.safetensors").files[0]
    by = {a.name: a for a in f.arrays}
    assert by["w"].dtype_a == "bfloat16" and by["w"].ulp_max == 1 and by["w"].verdict == Verdict.WITHIN_ULP
    assert by["w"].tolerance.rtol == 1.6e-2
    assert by["i"].verdict == Verdict.BITWISE_IDENTICAL


def test_pt_state_dict(tmp_path):
    torch = pytest.importorskip("torch")
    sd = {"layer": {"weight": torch.ones(2, 3), "bias": torch.zeros(3)}, "step": 7}
    torch.save(sd, tmp_path / "a.pt")
    sd["layer"]["bias"] = torch.tensor([0.0, 0.5, 0.0])
    torch.save(sd, tmp_path / "b.pth")
    f = diff_outputs(tmp_path / "a.pt", tmp_path / "b.pth").files[0]
    by = {a.name: a for a in f.arrays}
    assert by["layer.weight"].verdict == Verdict.BITWISE_IDENTICAL
    assert by["layer.bias"].verdict == Verdict.DIVERGED and by["layer.bias"].max_abs_index == [1]
    assert by["step"].verdict == Verdict.BITWISE_IDENTICAL


class _Evil:
    target = ""

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.mark.parametrize("zip_format", [True, False])
def test_malicious_pickle_is_refused_and_never_executed(tmp_path, capsys, zip_format):
    torch = pytest.importorskip("torch")
    marker = tmp_path / "pwned"
    evil = _Evil()
    evil.target = str(marker)
    bad = tmp_path / "evil.pt"
    if zip_format:
        torch.save({"w": torch.ones(2), "payload": evil}, bad)
    else:
        bad.write_bytes(pickle.dumps({"payload": evil}))
    assert not marker.exists()
    torch.save({"w": torch.ones(2)}, tmp_path / "good.pt")
    code, out, err = run_cli(["diff", str(bad), str(tmp_path / "good.pt")], capsys)
    assert code == 2 and not marker.exists()
    assert err.count("\n") == 1 and "evil.pt" in err and "refused" in err


def test_truncated_npy_and_safetensors(tmp_path, capsys):
    np.save(tmp_path / "a.npy", np.ones(1000))
    (tmp_path / "t.npy").write_bytes((tmp_path / "a.npy").read_bytes()[:-100])
    code, _, err = run_cli(["diff", str(tmp_path / "a.npy"), str(tmp_path / "t.npy")], capsys)
    assert code == 2 and "t.npy: truncated" in err and err.count("\n") == 1
    pytest.importorskip("safetensors")
    from safetensors.numpy import save_file

    save_file({"x": np.ones(100, dtype=np.float32)}, str(tmp_path / "a.safetensors"))
    raw = (tmp_path / "a.safetensors").read_bytes()
    for cut in (4, 30, len(raw) - 8):
        (tmp_path / "t.safetensors").write_bytes(raw[:cut])
        code, _, err = run_cli(["diff", str(tmp_path / "a.safetensors"), str(tmp_path / "t.safetensors")], capsys)
        assert code == 2 and "t.safetensors" in err and err.count("\n") == 1, (cut, err)


def test_unknown_format_and_manifest_against_array(tmp_path, capsys):
    (tmp_path / "a.bin").write_bytes(b"1234")
    (tmp_path / "b.bin").write_bytes(b"1234")
    code, _, err = run_cli(["diff", str(tmp_path / "a.bin"), str(tmp_path / "b.bin")], capsys)
    assert code == 2 and "unknown format" in err and err.count("\n") == 1
    (tmp_path / "m.json").write_text(json.dumps({"schema_version": 1, "envsnap": {"version": "0", "created_at": "x"}}))
    np.save(tmp_path / "x.npy", np.ones(2))
    code, _, err = run_cli(["diff", str(tmp_path / "m.json"), str(tmp_path / "x.npy")], capsys)
    assert code == 2 and "manifest" in err and "x.npy" in err and err.count("\n") == 1


def test_json_nested_numbers(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"acc": 0.9, "per_class": [0.1, 0.2], "name": "r50", "m": [[1, 2], [3, 4]]}))
    (tmp_path / "b.json").write_text(json.dumps({"acc": 0.9000000001, "per_class": [0.1, 0.25], "name": "r50", "m": [[1, 2], [3, 4]]}))
    f = diff_outputs(tmp_path / "a.json", tmp_path / "b.json").files[0]
    by = {a.name: a for a in f.arrays}
    assert by["acc"].verdict == Verdict.WITHIN_TOLERANCE
    assert by["per_class"].verdict == Verdict.DIVERGED and by["per_class"].max_abs_index == [1]
    assert by["name"].verdict == Verdict.BITWISE_IDENTICAL and by["m"].shape_a == [2, 2]


def test_csv_with_step_column_is_a_series(tmp_path):
    (tmp_path / "a.csv").write_text("step,loss,phase\n0,1.0,train\n1,0.5,train\n2,0.25,train\n")
    (tmp_path / "b.csv").write_text("step,loss,phase\n0,1.0,train\n1,0.5,train\n2,0.26,train\n")
    f = diff_outputs(tmp_path / "a.csv", tmp_path / "b.csv").files[0]
    loss = next(s for s in f.series if s.name == "loss")
    assert loss.first_bitwise_divergence == 2 and loss.first_beyond_tolerance == 2
    assert loss.values_at_first_beyond == (0.25, 0.26) and loss.verdict == Verdict.DIVERGED


def test_folders_paired_by_relative_path(tmp_path):
    for side in ("A", "B"):
        (tmp_path / side / "ckpt").mkdir(parents=True)
        np.save(tmp_path / side / "ckpt" / "w.npy", np.ones(3))
        (tmp_path / side / "log.txt").write_text("hello")
    np.save(tmp_path / "A" / "extra.npy", np.ones(1))
    (tmp_path / "B" / "new.npy").write_bytes(b"\x93NUMPY broken")
    d = diff_outputs(tmp_path / "A", tmp_path / "B")
    by = {f.path: f for f in d.files}
    assert by["ckpt/w.npy"].verdict == Verdict.BITWISE_IDENTICAL
    assert by["log.txt"].verdict == Verdict.BITWISE_IDENTICAL and by["log.txt"].format_a == "bytes"
    assert by["extra.npy"].only_in == "a" and by["new.npy"].only_in == "b"
    assert d.verdict == Verdict.STRUCTURAL_MISMATCH and d.exit_code == 1


def test_unreadable_file_inside_folders_is_a_result_not_a_crash(tmp_path):
    for side in ("A", "B"):
        (tmp_path / side).mkdir()
    np.save(tmp_path / "A" / "x.npy", np.ones(100))
    (tmp_path / "B" / "x.npy").write_bytes((tmp_path / "A" / "x.npy").read_bytes()[:-50])
    f = diff_outputs(tmp_path / "A", tmp_path / "B").files[0]
    assert f.verdict == Verdict.STRUCTURAL_MISMATCH and "truncated" in f.note


def test_strict_mode_raises_input_error(tmp_path):
    (tmp_path / "a.npy").write_bytes(b"not numpy")
    np.save(tmp_path / "b.npy", np.ones(1))
    with pytest.raises(InputError):
        compare_files(tmp_path / "a.npy", tmp_path / "b.npy")
