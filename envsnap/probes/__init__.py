"""Float-precision probes, host side: run them in a target interpreter (``run_probes``) and
render the results (``probes_report``). The probes themselves live in envsnap/agent/probes."""
from .runner import DEFAULT_BUDGET_S, ProbeRun, run_probes

__all__ = ["DEFAULT_BUDGET_S", "ProbeRun", "run_probes"]
