"""A one-module ``envsnap`` package (just ``log_metrics``) for environments without envsnap.

The training environment need not have envsnap installed (it is installed once as a tool, and
the replay image holds only the captured packages), yet ``import envsnap;
envsnap.log_metrics(...)`` must work there. The shim is envsnap/metrics.py itself, put first
on PYTHONPATH for the command only; it is never captured as part of the environment.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def shim_source() -> bytes:
    return (resources.files("envsnap") / "metrics.py").read_bytes()


def write_shim(directory: Path) -> Path:
    """Write ``directory/envsnap/__init__.py`` and return ``directory`` (for PYTHONPATH)."""
    pkg = directory / "envsnap"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_bytes(shim_source())
    return directory
