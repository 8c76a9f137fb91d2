"""Capture speed: `envsnap capture --no-probes` vs `python -m torch.utils.collect_env`.

Both are timed as whole processes against the same venv (torch CPU, numpy, ~80 packages),
median of 5 runs after one warm-up each. Target: envsnap <= 0.25x collect_env.
Run: .venv/bin/python bench/capture.py
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RUNS, bench_venv, median_time


def main() -> None:
    py = bench_venv()
    n = subprocess.run([str(py), "-c", "import importlib.metadata as m; print(len(list(m.distributions())))"],
                       check=True, capture_output=True, text=True).stdout.strip()
    envsnap = [str(Path(sys.executable).with_name("envsnap"))]
    with tempfile.TemporaryDirectory() as tmp:
        ours = median_time([*envsnap, "capture", "--no-probes", "--python", str(py), "-o", f"{tmp}/e.json", "--force"])
    base = median_time([str(py), "-m", "torch.utils.collect_env"])
    print(f"venv: {py} ({n} distributions)")
    print(f"collect_env (baseline): {base * 1000:8.0f} ms  median of {RUNS}")
    print(f"envsnap capture --no-probes: {ours * 1000:8.0f} ms  median of {RUNS}")
    ratio = ours / base
    print(f"ratio: {ratio:.3f}x  (target <= 0.25x: {'met' if ratio <= 0.25 else 'NOT met'})")


if __name__ == "__main__":
    main()
