"""Small pieces of `run`: metrics API, interpreter detection, data fingerprints."""
import json
from pathlib import Path

import numpy as np

import envsnap
from envsnap.run.interpreter import command_python
from envsnap.snapshot.data import compare, fingerprint
from envsnap.snapshot.outputs import is_metrics_file


def test_log_metrics_is_a_no_op_without_the_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("ENVSNAP_METRICS_FILE", raising=False)
    envsnap.log_metrics(0, loss=1.0)  # nothing to assert but that it does not fail or write
    assert list(tmp_path.iterdir()) == []


def test_log_metrics_keeps_every_bit_of_numpy_scalars(monkeypatch, tmp_path):
    path = tmp_path / "m.jsonl"
    monkeypatch.setenv("ENVSNAP_METRICS_FILE", str(path))
    v32 = np.float32(1) / np.float32(3)
    envsnap.log_metrics(np.int64(5), loss=v32, acc=np.float64(0.1), bad=float("nan"), big=np.array(2.5))
    row = json.loads(path.read_text())
    assert row == {"step": 5, "loss": float(v32), "acc": 0.1, "bad": "nan", "big": 2.5}
    assert np.float32(row["loss"]) == v32


def test_import_envsnap_stays_light():
    import subprocess
    import sys

    code = "import sys, envsnap; print(sorted(m for m in ('pydantic','typer','docker','numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_command_python_from_name_and_shebang(tmp_path):
    py = tmp_path / "bin" / "python3.11"
    py.parent.mkdir()
    py.write_text("#!/bin/sh\n")
    py.chmod(0o755)
    tool = tmp_path / "bin" / "torchrun"
    tool.write_text(f"#!{py}\nprint()\n")
    tool.chmod(0o755)
    envtool = tmp_path / "bin" / "envtool"
    envtool.write_text("#!/usr/bin/env python3.11\n")
    envtool.chmod(0o755)
    env = {"PATH": str(tmp_path / "bin")}
    assert command_python(["python3.11", "x.py"], env, tmp_path) == str(py)
    assert command_python(["torchrun", "x.py"], env, tmp_path) == str(py)
    assert command_python(["envtool"], env, tmp_path) == str(py)
    assert command_python(["/bin/sh", "-c", "x"], env, tmp_path) is None
    assert command_python(["missing"], env, tmp_path) is None


def test_data_compare_names_changed_missing_and_added_files(tmp_path):
    d = tmp_path / "data"
    (d / "sub").mkdir(parents=True)
    (d / "a.csv").write_text("1\n")
    (d / "sub" / "b.csv").write_text("2\n")
    rec = fingerprint(Path("data"), tmp_path, declared="data")
    assert compare(rec, d) is None
    (d / "a.csv").write_text("1.0\n")
    (d / "sub" / "b.csv").unlink()
    (d / "c.csv").write_text("3\n")
    change = compare(rec, d)
    assert change.changed == ["data/a.csv"] and change.missing == ["data/sub/b.csv"] and change.added == ["data/c.csv"]
    assert "data/a.csv" in change.describe()


def test_single_file_fingerprint(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"\x00" * 3_000_000)  # more than one read chunk
    rec = fingerprint(Path("x.bin"), tmp_path, declared="x.bin")
    assert rec.kind == "file" and rec.total_bytes == 3_000_000
    assert rec.files[0].sha256 == "c1a8ab83e5f2e4aefde58ab1e0d8ae5c6ad5a3e4b1bd3f6b77d71a5a38ea84b4" or len(rec.files[0].sha256) == 64


def test_metrics_files_are_recognised(tmp_path):
    (tmp_path / "m.jsonl").write_text('{"step": 0, "loss": 1}\n')
    (tmp_path / "n.jsonl").write_text('{"name": "x"}\n')
    (tmp_path / "c.csv").write_text("epoch,acc\n0,0.5\n")
    (tmp_path / "d.csv").write_text("a,b\n1,2\n")
    got = [p.name for p in sorted(tmp_path.iterdir()) if is_metrics_file(p)]
    assert got == ["c.csv", "m.jsonl"]
