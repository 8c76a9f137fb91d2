"""``envsnap replay``: rerun a snapshot's command in its pinned container and explain the result."""
from .core import ReplayResult, replay_snapshot
from .options import ReplayOptions

__all__ = ["ReplayOptions", "ReplayResult", "replay_snapshot"]
