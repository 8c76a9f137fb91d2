"""``envsnap replay``: rerun a snapshot's command in its pinned container and explain the result."""
from .options import ReplayOptions
from .replay import ReplayResult, replay

__all__ = ["ReplayOptions", "ReplayResult", "replay"]
