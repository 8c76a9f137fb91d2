"""PNG of per-step series: both curves, and |A - B| on a log scale (Agg backend, deterministic)."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

from ..diff.results import SeriesDiff
from ..fsutil import write_bytes_atomic

MAX_SERIES = 8


def render_plot(series: Sequence[SeriesDiff]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    shown = [s for s in series if s.steps][:MAX_SERIES]
    fig, axes = plt.subplots(len(shown), 2, figsize=(11, 3 * len(shown)), squeeze=False)
    for (curves, delta), s in zip(axes, shown):
        steps = np.asarray(s.steps, dtype=np.float64)
        a, b = np.asarray(s.values_a), np.asarray(s.values_b)
        curves.plot(steps, a, label="A", linewidth=1.2)
        curves.plot(steps, b, label="B", linewidth=1.0, linestyle="--")
        curves.set_title(f"{s.name} ({s.verdict.value})", fontsize=9)
        curves.set_xlabel(s.index)
        curves.legend(fontsize=8)
        d = np.abs(a - b)
        nonzero = d > 0
        if nonzero.any():
            delta.semilogy(steps[nonzero], d[nonzero], ".", markersize=3, color="tab:red")
        else:
            delta.text(0.5, 0.5, "identical at every step", ha="center", va="center", transform=delta.transAxes)
        if s.first_beyond_tolerance is not None:
            for ax in (curves, delta):
                ax.axvline(float(s.first_beyond_tolerance), color="gray", linestyle=":", linewidth=1)
        delta.set_title(f"|A - B| of {s.name} (log scale)", fontsize=9)
        delta.set_xlabel(s.index)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})  # no version stamp: same bytes
    plt.close(fig)
    return buf.getvalue()


def write_plot(series: Sequence[SeriesDiff], path: Path) -> Path:
    return write_bytes_atomic(path, render_plot(series))
