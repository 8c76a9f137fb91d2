"""Where a replay's command runs: one ReplayTarget per kind of place (base.py)."""
