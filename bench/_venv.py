"""A cached benchmark venv: numpy, torch CPU and enough common packages for ~80 distributions."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
