"""Replay overhead and layer reuse, measured on this machine.

1. Overhead: wall time of `envsnap replay` (image already built; build check, code restore, data
   verification, the run, in-container capture with probes, diff, report) minus a bare
   `docker run` of the same command with the same mounts on the same image. Target: <= 3 s.
2. A change to the code alone (a new snapshot of edited code) rebuilds no package layer: the
   replay's build log shows the pip install step served from the cache.

Needs Docker and the local base image (integration/provision.sh). Run: .venv/bin/python bench/replay.py
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENVSNAP = str(Path(sys.executable).parent / "envsnap")
CA = os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
ROUNDS = 3


def sh(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True)
    if check and res.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{res.stderr[-2000:]}")
    return res


def timed(*args: str, cwd: Path) -> float:
    t = time.perf_counter()
    sh(*args, cwd=cwd)
    return time.perf_counter() - t


def pip_step_cached(build_log: Path) -> bool:
    lines = build_log.read_text().splitlines()
    for i, ln in enumerate(lines):
        if ln.startswith("Step ") and "pip install" in ln:
            return any("Using cache" in nxt for nxt in lines[i + 1:i + 3])
    raise SystemExit(f"no pip install step in {build_log}")


def main() -> None:
    sh("bash", str(REPO / "integration" / "provision.sh"), cwd=REPO)
    root = Path(tempfile.mkdtemp(prefix="envsnap-bench-replay-"))
    try:
        sh("/usr/bin/python3", "-m", "venv", str(root / "venv"), cwd=root)
        sh(str(root / "venv" / "bin" / "pip"), "install", "-q", "numpy", cwd=root)
        proj = root / "proj"
        shutil.copytree(REPO / "examples" / "numpy_train", proj, ignore=shutil.ignore_patterns("out"))
        py = str(root / "venv" / "bin" / "python")
        sh(ENVSNAP, "run", "-o", str(root / "snap"), "--data", "data", "--outputs", "out/**", "--", py, "train.py",
           cwd=proj)
        sh(ENVSNAP, "replay", str(root / "snap"), "-o", str(root / "warm"), "--ca-bundle", CA, "-q", cwd=root)
        report = json.loads((root / "warm" / "report.json").read_text())
        image = report["image"]["tag"]
        workspace = root / "warm" / "workspace"
        sys.path.insert(0, str(REPO))
        from envsnap.run.shim import write_shim  # the examples call envsnap.log_metrics

        shim = write_shim(root / "shim")

        replay_s, bare_s = [], []
        for i in range(ROUNDS):
            replay_s.append(timed(ENVSNAP, "replay", str(root / "snap"), "-o", str(root / f"r{i}"), "--ca-bundle", CA,
                                  "-q", cwd=root))
            bare_s.append(timed("docker", "run", "--rm", "-u", f"{os.getuid()}:{os.getgid()}",
                                "-v", f"{workspace}:/workspace", "-v", f"{proj / 'data'}:/workspace/data:ro",
                                "-v", f"{shim}:/opt/envsnap-shim:ro", "-e", "PYTHONPATH=/opt/envsnap-shim",
                                "-w", "/workspace", image, "python", "train.py", cwd=root))
        rep, bare = statistics.median(replay_s), statistics.median(bare_s)
        print(f"image: {image}")
        print(f"bare docker run of the training:   median {bare:6.2f} s  ({', '.join(f'{x:.2f}' for x in bare_s)})")
        print(f"envsnap replay (image cached):     median {rep:6.2f} s  ({', '.join(f'{x:.2f}' for x in replay_s)})")
        print(f"replay overhead over bare run:     {rep - bare:6.2f} s  (target <= 3.00 s) "
              f"{'OK' if rep - bare <= 3.0 else 'OVER TARGET'}")

        # Code-only change: edit the training script, new snapshot, replay; the package layer is reused.
        train = proj / "train.py"
        train.write_text(train.read_text().replace('print(f"final loss', 'print(f"final (edited) loss'))
        sh(ENVSNAP, "run", "-o", str(root / "snap2"), "--data", "data", "--outputs", "out/**", "--", py, "train.py",
           cwd=proj)
        t = time.perf_counter()
        sh(ENVSNAP, "replay", str(root / "snap2"), "-o", str(root / "code-change"), "--ca-bundle", CA, "-q", cwd=root)
        took = time.perf_counter() - t
        cached = pip_step_cached(root / "code-change" / "build.log")
        print(f"code-only change: replay {took:.2f} s; pip install layer from cache: {'yes' if cached else 'NO'}")
        if not cached:
            sys.exit(1)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
