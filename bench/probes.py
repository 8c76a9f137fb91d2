"""Probe speed: the whole `envsnap probe` process vs `python -c "import numpy, torch"`.

Both timed as whole processes against the same cached venv (numpy, torch 2.13.0 CPU), median of
5 runs after one warm-up each. Target: the probes add at most 1 s beyond importing the frameworks.
Run: .venv/bin/python bench/probes.py
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RUNS, bench_venv, median_time

TARGET_S = 1.0


def main() -> None:
    py = str(bench_venv())
    envsnap = [sys.executable, "-m", "envsnap"]
    imports = median_time([py, "-c", "import numpy, torch"])
    suite = median_time([*envsnap, "probe", "--python", py, "--json"])
    doc = json.loads(subprocess.run([*envsnap, "probe", "--python", py, "--json"], check=True,
                                    capture_output=True, text=True).stdout)
    results = doc["probes"]["results"]
    ran = [r for r in results if r["status"] == "ok"]
    probe_ms = sum(r["ms"] or 0.0 for r in ran)
    extra = suite - imports
    print(f"venv: {py}")
    print(f"import numpy, torch:         {imports:6.2f} s  (median of {RUNS})")
    print(f"envsnap probe (whole suite): {suite:6.2f} s  (median of {RUNS}; {len(ran)} probes ran, "
          f"{len(results) - len(ran)} skipped/failed; probe bodies {probe_ms:.0f} ms)")
    print(
        f"probes beyond the imports:   {extra:6.2f} s  "
        f"(target <= {TARGET_S:.1f} s: {'OK' if extra <= TARGET_S else 'MISSED'})"
    )
    for r in sorted(ran, key=lambda r: -(r["ms"] or 0.0))[:5]:
        print(f"  slowest: {r['id']:<28} {r['ms']:7.1f} ms (both runs)")


if __name__ == "__main__":
    main()
