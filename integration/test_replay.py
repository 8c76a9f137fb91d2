"""Real Docker, end to end: `envsnap run` on the host, `envsnap replay` in the pinned container.

The original environment is a venv of Debian's /usr/bin/python3 with numpy, the environment the
image reproduces exactly (same Debian python build, same wheel, same CPU so the same OpenBLAS
kernel). Needs a Docker engine and the local base image (integration/provision.sh, idempotent)
and PyPI through the proxy (the host CA bundle is passed to the build with --ca-bundle).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[1]
ENVSNAP = str(Path(sys.executable).parent / "envsnap")
SYSTEM_PY = "/usr/bin/python3"
CA = os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
LABEL = "dev.envsnap.replay"

# A job whose behaviour in the replay is steered by variables given with --env.
JOB = """\
import os, sys, time
os.makedirs("out", exist_ok=True)
open("out/part.txt", "w").write("started\\n")
print("job started", flush=True)
if os.environ.get("JOB_CRASH"):
    print("about to fail", flush=True)
    raise RuntimeError("deliberate failure in the replay")
if os.environ.get("JOB_SLOW"):
    time.sleep(120)
open("out/done.txt", "w").write("done\\n")
"""


def envsnap(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([ENVSNAP, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def leftover_containers(root: Path) -> list:
    """Replay containers of snapshots under ``root`` (other test runs on this engine are not ours)."""
    out = subprocess.run(["docker", "ps", "-a", "--filter", f"label={LABEL}", "--format",
                          '{{.Names}} {{.Label "dev.envsnap.replay.snapshot"}}'],
                         capture_output=True, text=True, check=True).stdout
    return [ln.split()[0] for ln in out.splitlines() if ln.split()[1:] and ln.split()[1].startswith(str(root))]


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="session")
def docker_ready() -> None:
    res = subprocess.run(["bash", str(REPO / "integration" / "provision.sh")], capture_output=True, text=True)
    assert res.returncode == 0, f"provisioning failed:\n{res.stderr[-2000:]}"


@pytest.fixture(scope="module")
def project(tmp_path_factory, docker_ready) -> dict:
    if not os.path.exists(SYSTEM_PY):
        pytest.skip("Debian's /usr/bin/python3 is not installed")
    root = tmp_path_factory.mktemp("replay")
    venv = root / "venv"
    subprocess.run([SYSTEM_PY, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "numpy"], check=True)
    proj = root / "proj"
    shutil.copytree(REPO / "examples" / "numpy_train", proj, ignore=shutil.ignore_patterns("out"))
    (proj / "job.py").write_text(JOB)
    py = str(venv / "bin" / "python")
    res = envsnap("run", "-o", str(root / "snap"), "--data", "data", "--outputs", "out/**", "--",
                  py, "train.py", "--steps", "40", cwd=proj)
    assert res.returncode == 0, res.stderr
    job = envsnap("run", "-o", str(root / "jobsnap"), "--no-probes", "--outputs", "out/**", "--", py, "job.py", cwd=proj)
    assert job.returncode == 0, job.stderr
    return {"root": root, "proj": proj, "snap": root / "snap", "jobsnap": root / "jobsnap"}


def test_replay_in_docker_is_bitwise_identical(project):
    snap, root = project["snap"], project["root"]
    before = tree_digest(snap)
    res = envsnap("replay", str(snap), "-o", str(root / "r1"), "--ca-bundle", CA, cwd=root)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "step  39" in res.stdout  # the log streamed live
    report = json.loads((root / "r1" / "report.json").read_text())
    assert report["status"] == "identical" and report["verdict"] == "BITWISE_IDENTICAL"
    assert {f["path"]: f["verdict"] for f in report["diff"]["outputs"]["files"]} == {
        "out/biases.npz": "BITWISE_IDENTICAL", "out/w1.npy": "BITWISE_IDENTICAL", "out/w2.npy": "BITWISE_IDENTICAL"}
    assert report["diff"]["metrics"]["verdict"] == "BITWISE_IDENTICAL"
    # The replay's manifest was captured inside the container, probes included.
    manifest = json.loads((root / "r1" / "manifest.json").read_text())
    assert manifest["host"]["container"] and any(p["status"] == "ok" for p in manifest["probes"]["results"])
    assert "Replay reproduced the run bit for bit" in (root / "r1" / "report.md").read_text()
    # Outputs belong to the host user, the snapshot is untouched, no container is left.
    assert (root / "r1" / "workspace" / "out" / "w1.npy").stat().st_uid == os.getuid()
    assert tree_digest(snap) == before
    assert leftover_containers(root) == []


def test_a_changed_blas_kernel_is_found_and_named(project):
    """Another OpenBLAS kernel than the one the snapshot recorded (read from its manifest, so the
    test holds on any x86-64 CPU: SkylakeX on AVX-512 hosts, Haswell or Zen elsewhere)."""
    from envsnap.replay.whatif import other_blas_kernel, recorded_blas_kernel
    from envsnap.snapshot import read_snapshot

    root = project["root"]
    manifest = read_snapshot(project["snap"]).manifest
    kernel = other_blas_kernel(manifest)
    assert kernel is not None and kernel != recorded_blas_kernel(manifest)
    res = envsnap("replay", str(project["snap"]), "-o", str(root / "r2"), "--ca-bundle", CA, "-q",
                  "--env", f"OPENBLAS_CORETYPE={kernel}", cwd=root)
    assert res.returncode == 1, res.stderr[-3000:]
    report = json.loads((root / "r2" / "report.json").read_text())
    assert report["status"] == "diverged" and report["verdict"] != "BITWISE_IDENTICAL"
    top = report["top_causes"][0]
    # The setting itself is the top cause, confirmed by the BLAS probes that measured its effect.
    assert "OPENBLAS_CORETYPE" in top["subject"] and top["b"] == kernel and top["severity"] == "critical"
    assert any(kernel in e for e in report["evidence"])  # the BLAS probe saw the switch
    assert leftover_containers(root) == []


def test_changed_input_data_is_refused_before_anything_runs(project):
    root = project["root"]
    data = root / "other-data"
    shutil.copytree(project["proj"] / "data", data)
    with open(data / "train.csv", "a") as fh:
        fh.write("0,0,0,0,0,0,0,0,0\n")
    res = envsnap("replay", str(project["snap"]), "-o", str(root / "r3"), "--data-dir", str(data), cwd=root)
    assert res.returncode == 2
    assert "data/train.csv" in res.stderr and "--allow-data-change" in res.stderr and "Traceback" not in res.stderr
    assert not (root / "r3" / "report.json").exists()


def test_a_crash_in_the_container_is_reported_with_the_log_tail(project):
    root = project["root"]
    res = envsnap("replay", str(project["jobsnap"]), "-o", str(root / "r4"), "--ca-bundle", CA, "--no-probes",
                  "--env", "JOB_CRASH=1", cwd=root)
    assert res.returncode == 2
    assert "exited with status 1" in res.stderr and "deliberate failure in the replay" in res.stderr
    report = json.loads((root / "r4" / "report.json").read_text())
    assert report["status"] == "crashed" and any("deliberate failure" in ln for ln in report["log_tail"])
    assert "crashed" in (root / "r4" / "report.md").read_text()
    assert leftover_containers(root) == []


def test_timeout_stops_the_container_and_keeps_partial_outputs(project):
    root = project["root"]
    started = time.monotonic()
    res = envsnap("replay", str(project["jobsnap"]), "-o", str(root / "r5"), "--ca-bundle", CA, "--no-probes",
                  "--env", "JOB_SLOW=1", "--timeout", "4s", cwd=root)
    assert res.returncode == 2 and "--timeout" in res.stderr
    assert time.monotonic() - started < 90
    run = json.loads((root / "r5" / "run.json").read_text())
    assert run["partial"] is True
    assert (root / "r5" / "outputs" / "out" / "part.txt").read_text() == "started\n"
    assert json.loads((root / "r5" / "report.json").read_text())["status"] == "timeout"
    assert leftover_containers(root) == []


def test_ctrl_c_stops_and_removes_the_container(project):
    root = project["root"]
    proc = subprocess.Popen([ENVSNAP, "replay", str(project["jobsnap"]), "-o", str(root / "r6"), "--ca-bundle", CA,
                             "--no-probes", "--env", "JOB_SLOW=1"], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in proc.stdout:  # wait until the job is running in its container
        seen.append(line)
        if "job started" in line:
            break
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2, "".join(seen) + rest
    assert "interrupted" in rest
    assert json.loads((root / "r6" / "run.json").read_text())["partial"] is True
    assert leftover_containers(root) == []


def test_two_replays_of_one_snapshot_at_once_do_not_interfere(project):
    root = project["root"]
    procs = [subprocess.Popen([ENVSNAP, "replay", str(project["snap"]), "-o", str(root / f"c{i}"), "--ca-bundle", CA,
                               "-q"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    outs = [p.communicate(timeout=900) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    for i in range(2):
        assert json.loads((root / f"c{i}" / "report.json").read_text())["verdict"] == "BITWISE_IDENTICAL"
    assert leftover_containers(root) == []


@pytest.fixture(scope="module")
def torch_snapshot(tmp_path_factory, docker_ready) -> dict:
    """The torch CPU example, run on the host in a Debian-python venv with torch 2.13.0 CPU (a
    wheel that exists only in this machine's find-links folder, so the replay must bring it
    through the build context's wheelhouse)."""
    if not os.path.exists(SYSTEM_PY):
        pytest.skip("Debian's /usr/bin/python3 is not installed")
    root = tmp_path_factory.mktemp("torch")
    venv = root / "venv"
    subprocess.run([SYSTEM_PY, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "numpy", "torch==2.13.0"], check=True)
    proj = root / "proj"
    shutil.copytree(REPO / "examples" / "torch_train", proj, ignore=shutil.ignore_patterns("out"))
    res = envsnap("run", "-o", str(root / "snap"), "--data", "data", "--outputs", "out/**", "--",
                  str(venv / "bin" / "python"), "train.py", "--lr", "0.02", cwd=proj)
    assert res.returncode == 0, res.stderr[-3000:]
    return {"root": root, "snap": root / "snap"}


def test_torch_training_replays_bitwise(torch_snapshot):
    root = torch_snapshot["root"]
    res = envsnap("replay", str(torch_snapshot["snap"]), "-o", str(root / "r"), "--ca-bundle", CA, cwd=root)
    assert res.returncode == 0, res.stderr[-3000:]
    report = json.loads((root / "r" / "report.json").read_text())
    assert report["verdict"] == "BITWISE_IDENTICAL"
    assert {f["path"]: f["verdict"] for f in report["diff"]["outputs"]["files"]} == {"out/model.pt": "BITWISE_IDENTICAL"}
    assert report["diff"]["metrics"]["verdict"] == "BITWISE_IDENTICAL"
    manifest = json.loads((root / "r" / "manifest.json").read_text())
    torch = next(f for f in manifest["cuda"]["frameworks"] if f["framework"] == "torch")
    assert torch["version"] == "2.13.0+cpu" and torch["how"] == "loaded"  # captured inside the container
    assert leftover_containers(root) == []
