"""envsnap: capture, replay and diff the environment of an ML training run."""
from __future__ import annotations

__version__ = "0.1.0"

from .metrics import log_metrics

__all__ = ["__version__", "log_metrics"]
