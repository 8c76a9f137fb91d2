"""The probe worker: runs the selected probes one after another in this interpreter.

Protocol (one JSON object per line on the ORIGINAL stdout, each prefixed with ``@envsnap ``):
``{"start": ID}`` before a step, then its outcome (``{"result": {...}}``, ``{"imported": ...}``,
``{"flags": {...}}``), and ``{"done": true}`` at the end. The host reads which step was running
when the process died. fd 1 itself is pointed at stderr, so whatever C libraries print (MKL
verbose, OpenBLAS warnings) cannot corrupt the protocol.

Isolation: faulthandler's watchdog thread ends the process (exit status 1, "Timeout (...)!" on
stderr) when a step overruns its budget, even inside a C call holding the GIL; a segfault ends it
with the signal. Either way the host records that step as failed and starts a fresh worker for
the rest. Python exceptions are caught here and recorded as the probe's failure.
"""
import faulthandler
import importlib
import importlib.util
import json
import os
import sys
import time

from .base import Skip
from .catalogue import BY_ID, CATALOGUE, FRAMEWORKS
from .inputs import fingerprint

PREFIX = "@envsnap "
PRELUDE_ENV = "ENVSNAP_PROBE_PRELUDE"  # test hook: Python code run before probing (documented)


class _Channel(object):
    def __init__(self):
        self._out = os.fdopen(os.dup(1), "w", encoding="utf-8")
        sys.stdout.flush()
        os.dup2(2, 1)
        sys.stdout = sys.stderr

    def send(self, msg):
        self._out.write(PREFIX + json.dumps(msg, sort_keys=True, default=str) + "\n")
        self._out.flush()


def _parse(argv):
    opts = {"budget": 30.0, "import_budget": 300.0, "ids": None}  # type: dict
    it = iter(argv)
    for arg in it:
        if arg == "--budget":
            opts["budget"] = float(next(it))
        elif arg == "--import-budget":
            opts["import_budget"] = float(next(it))
        elif arg == "--ids":
            opts["ids"] = [x for x in next(it).split(",") if x]
        else:
            raise ValueError("unknown argument %r" % arg)
    return opts


def _guarded(budget, fn):
    faulthandler.dump_traceback_later(budget, exit=True, file=sys.stderr)
    try:
        return fn()
    finally:
        faulthandler.cancel_dump_traceback_later()


def _import(fw):
    if importlib.util.find_spec(fw) is None:
        return "missing", "%s is not installed" % fw
    try:
        importlib.import_module(fw)
    except Exception as exc:  # noqa: BLE001 - a broken install is a finding, not a crash
        return "failed", "import %s failed: %s: %s" % (fw, type(exc).__name__, exc)
    return "ok", None


def _run_probe(spec):
    fn = getattr(importlib.import_module("." + spec.module, __package__), spec.function)
    first = fn()
    second = fn()
    return first, second


def _result(spec, status, reason=None, **extra):
    out = {"id": spec.id, "version": spec.version, "framework": spec.framework, "device": spec.device,
           "status": status, "reason": reason}
    out.update(extra)
    return out


def probe_one(spec, budget):
    t0 = time.perf_counter()
    try:
        first, second = _guarded(budget, lambda: _run_probe(spec))
    except Skip as exc:
        return _result(spec, "skipped", str(exc))
    except Exception as exc:  # noqa: BLE001 - one failing probe never stops the others
        return _result(spec, "failed", "%s: %s" % (type(exc).__name__, exc),
                       ms=round((time.perf_counter() - t0) * 1000.0, 1))
    ms = round((time.perf_counter() - t0) * 1000.0, 1)
    return _result(spec, "ok", value=first.value, fingerprint=fingerprint(first.raw),
                   stable=first.raw == second.raw, ms=ms, details=first.details)


def main(argv):
    try:
        opts = _parse(argv)
    except (ValueError, StopIteration) as exc:
        sys.stderr.write("envsnap agent probes: %s\n" % exc)
        return 2
    ids = opts["ids"] if opts["ids"] is not None else [s.id for s in CATALOGUE]
    unknown = [i for i in ids if i not in BY_ID]
    if unknown:
        sys.stderr.write("envsnap agent probes: unknown probe id %s\n" % ", ".join(unknown))
        return 2
    specs = [BY_ID[i] for i in ids]
    chan = _Channel()
    faulthandler.enable(file=sys.stderr)
    prelude = os.environ.get(PRELUDE_ENV)
    if prelude:
        chan.send({"start": "prelude"})
        _guarded(
            opts["import_budget"],
            lambda: exec(compile(prelude, "<%s>" % PRELUDE_ENV, "exec"), {"__name__": "__envsnap_prelude__"}),
        )
    needed = [fw for fw in FRAMEWORKS if any(s.framework == fw for s in specs)]
    imports = {}
    for fw in needed:
        chan.send({"start": "import:" + fw})
        t0 = time.perf_counter()
        status, reason = _guarded(opts["import_budget"], lambda fw=fw: _import(fw))
        imports[fw] = (status, reason)
        chan.send(
            {"imported": fw, "status": status, "reason": reason, "ms": round((time.perf_counter() - t0) * 1000.0, 1)}
        )
    chan.send({"start": "flags"})
    from .flags import collect

    flags, loaded = _guarded(opts["budget"], lambda: collect([fw for fw in needed if imports[fw][0] == "ok"]))
    chan.send({"flags": flags, "loaded": loaded})
    for spec in specs:
        chan.send({"start": spec.id})
        status, reason = imports[spec.framework]
        if status == "missing":
            result = _result(spec, "skipped", reason)
        elif status == "failed":
            result = _result(spec, "failed", reason)
        else:
            result = probe_one(spec, opts["budget"])
        chan.send({"result": result})
    chan.send({"done": True})
    return 0
