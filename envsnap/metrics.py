"""The public per-step metrics API: ``envsnap.log_metrics(step, loss=..., acc=...)``.

``envsnap run`` and ``envsnap replay`` set ENVSNAP_METRICS_FILE; each call appends one JSON
line there. Without the variable the call does nothing, so a training script can keep the
call when run without envsnap. Stdlib only and Python 3.9 compatible: this file is also
shipped, as a one-module ``envsnap`` package, into environments that do not have envsnap
installed (the replay container, a bare training venv).
"""
import json
import math
import os

ENV_VAR = "ENVSNAP_METRICS_FILE"


def _plain(value):
    """numpy/torch scalars and 0-d arrays -> int/float; floats keep every bit (repr round-trips)."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return _plain(item())
        except (TypeError, ValueError, RuntimeError):
            pass
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _json_number(value):
    # JSON has no NaN/Infinity; strings keep the line valid for every JSON reader.
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def log_metrics(step, **values):
    """Append ``{"step": step, **values}`` as one JSON line to $ENVSNAP_METRICS_FILE (if set)."""
    path = os.environ.get(ENV_VAR)
    if not path:
        return
    record = {"step": _json_number(_plain(step))}
    for name in values:
        record[name] = _json_number(_plain(values[name]))
    line = json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n"
    # One write per line in append mode: whole lines even with several writer processes.
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
