"""Small helpers shared by the agent's collectors."""
import time


class Timer(object):
    """Times collectors and turns their exceptions into a recorded error: a collector that
    cannot collect says why, it never stops the others."""

    def __init__(self):
        self.durations = {}

    def section(self, name, fn, *args):
        t0 = time.perf_counter()
        try:
            result = fn(*args)
        except Exception as exc:  # noqa: BLE001 - every failure becomes data
            result = {"status": "error", "reason": "%s: %s" % (type(exc).__name__, exc)}
        self.durations[name] = round((time.perf_counter() - t0) * 1000.0, 3)
        return result


def read_text(path, default=None):
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except (OSError, IOError):
        return default


def skipped(reason):
    return {"status": "skipped", "reason": reason}
