"""Helpers: run the REAL probe agent in a fresh interpreter (this test's own python, which has
numpy and, in CI, torch CPU) with chosen environment variables, and index the results by id."""
import importlib.util
import os
import sys
from typing import Dict, Optional

import pytest

from envsnap.agent_runtime import LocalRunner
from envsnap.model import ProbeResult
from envsnap.probes import run_probes

# Knobs the tests turn; a clean baseline must not inherit them from the caller's shell.
KNOBS = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MKL_CBWR",
         "NPY_DISABLE_CPU_FEATURES", "ATEN_CPU_CAPABILITY", "LD_PRELOAD", "ENVSNAP_PROBE_PRELUDE")

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not importable in this interpreter")


def cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def probe_env(**overrides: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    env.update(overrides)
    return env


def probe(*only: str, budget_s: float = 60.0, python: Optional[str] = None, **env: str) -> Dict[str, ProbeResult]:
    run = run_probes(LocalRunner(python or sys.executable, env=probe_env(**env)), budget_s=budget_s, only=list(only))
    assert run.probes.status == "ok", run.probes.reason
    return {r.id: r for r in run.probes.results}


def ok(results: Dict[str, ProbeResult], pid: str) -> ProbeResult:
    r = results[pid]
    assert r.status == "ok", f"{pid}: {r.status}: {r.reason}"
    return r
