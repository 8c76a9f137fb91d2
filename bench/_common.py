"""Shared by the benchmarks: a cached venv (numpy, torch CPU, ~80 distributions) and timing."""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 5

BENCH_VENV = Path("/tmp/envsnap-bench-venv")
PACKAGES = [
    "numpy", "torch==2.13.0", "scipy", "pandas", "scikit-learn", "matplotlib", "requests", "tqdm",
    "pyyaml", "rich", "click", "pydantic", "pytest", "jinja2", "attrs", "pillow", "h5py", "tabulate",
    "protobuf", "psutil", "tomli", "toolz", "cloudpickle", "dill", "regex", "sentencepiece",
    "safetensors", "tokenizers", "huggingface-hub", "absl-py", "termcolor", "wrapt", "decorator",
    "six", "python-dateutil", "pytz", "packaging", "filelock", "fsspec", "networkx", "sympy",
    "aiohttp", "multidict", "yarl", "frozenlist", "aiosignal",
]


def bench_venv(base_python: str = sys.executable) -> Path:
    py = BENCH_VENV / "bin" / "python"
    marker = BENCH_VENV / ".complete"
    if not marker.exists():
        subprocess.run([base_python, "-m", "venv", "--clear", str(BENCH_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PACKAGES], check=True)
        marker.write_text("ok")
    return py


def timed(cmd: list[str]) -> float:
    """Wall time of a whole process."""
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def median_time(cmd: list[str], runs: int = RUNS) -> float:
    """Median of ``runs`` after one warm-up (page cache, the agent's bytecode cache)."""
    timed(cmd)
    return statistics.median(timed(cmd) for _ in range(runs))
