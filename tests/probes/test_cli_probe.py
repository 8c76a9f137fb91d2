"""`envsnap probe` as a user types it: a real subprocess, table or JSON, one-line errors."""
import json
import subprocess
import sys

from .conftest import probe_env

ENVSNAP = [sys.executable, "-m", "envsnap"]


def run(*args):
    return subprocess.run([*ENVSNAP, *args], capture_output=True, text=True, env=probe_env(COLUMNS="200"))


def test_table_lists_each_probe_with_fingerprint_stability_and_time():
    res = run("probe", "--python", sys.executable, "--only", "cpu.blas", "--only", "gpu.torch.ftz")
    assert res.returncode == 0, res.stderr
    for pid in ("cpu.blas.fma_dot", "cpu.blas.gemm", "cpu.blas.threads", "cpu.blas.batch_invariance", "gpu.torch.ftz"):
        assert pid in res.stdout
    assert "cpu.numpy.simd_ufuncs" not in res.stdout
    assert "ddot" in res.stdout and "yes" in res.stdout
    assert "skipped: " in res.stdout  # gpu.torch.ftz: no CUDA device / torch is not installed


def test_json_has_results_and_flags_and_is_deterministic_in_shape():
    res = run("probe", "--python", sys.executable, "--only", "cpu.numpy", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    ids = [r["id"] for r in doc["probes"]["results"]]
    assert ids == ["cpu.numpy.ftz_daz", "cpu.numpy.simd_ufuncs"]
    for r in doc["probes"]["results"]:
        assert r["status"] == "ok" and len(r["fingerprint"]) == 16 and r["version"] >= 1 and r["ms"] >= 0
    assert "numpy.cpu_baseline" in doc["flags"]


def test_unknown_probe_is_one_line_exit_2():
    res = run("probe", "--only", "cpu.nope")
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "unknown probe 'cpu.nope'" in res.stderr


def test_bad_interpreter_is_one_line_exit_2(tmp_path):
    res = run("probe", "--python", str(tmp_path / "missing"))
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "no such interpreter" in res.stderr
