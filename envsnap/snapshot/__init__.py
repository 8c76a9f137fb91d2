"""The on-disk format of snapshots and replays: one frozen value, one reader, one writer."""
from . import layout
from .snapshot import Snapshot, SnapshotWriter, check_replaceable, is_snapshot, read_snapshot

__all__ = ["Snapshot", "SnapshotWriter", "check_replaceable", "is_snapshot", "layout", "read_snapshot"]
