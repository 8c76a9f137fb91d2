"""``envsnap run -- CMD``: run a command exactly as usual and record a replayable snapshot.

The snapshot (layout: envsnap/snapshot/layout.py) holds the environment of the command's
interpreter (probes included), the code state, input fingerprints, the scrubbed log, the
declared outputs and per-step metrics. It is written through ``SnapshotWriter``: assembled in a
hidden sibling folder and renamed into place, so a crash never leaves half a snapshot.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

from ..metrics import ENV_VAR as METRICS_ENV
from ..model import RunRecord
from ..redact import Redactor
from ..snapshot import SnapshotWriter, layout


@dataclass(frozen=True)
class RunResult:
    snapshot: Path
    record: RunRecord


def utc_iso(ts: Optional[float] = None) -> str:
    """A run record's timestamp (UTC, microseconds): now, or the epoch time ``ts``."""
    moment = datetime.now(timezone.utc) if ts is None else datetime.fromtimestamp(ts, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def run_snapshot(
    command: Sequence[str],
    out: Path,
    *,
    data: Sequence[Path] = (),
    outputs: Sequence[str] = (),
    python: Optional[str] = None,
    probes: bool = True,
    force: bool = False,
    envsnap_argv: Sequence[str] = (),
) -> RunResult:
    from ..agent_runtime import resolve_python
    from ..capture import capture_environment
    from ..snapshot.code import capture_code
    from ..snapshot.data import fingerprint
    from ..snapshot.outputs import collect_outputs_with_metrics
    from .interpreter import command_python
    from .process import run_teed
    from .shim import write_shim

    cwd = Path.cwd()
    out = out.absolute()
    redactor = Redactor()
    with SnapshotWriter(out, kind="snapshot", force=force, protect=[cwd / d for d in data]) as snap:
        staging = snap.staging
        # Everything that describes the starting point is taken before the command can change it.
        inputs = [fingerprint(d, cwd, declared=str(d)) for d in data]
        code = capture_code(cwd, data=list(data) + [out, staging], outputs=outputs, redactor=redactor)
        interp = python or command_python(command, os.environ, cwd) or resolve_python(None)
        manifest = capture_environment(interp, probes=probes, argv=envsnap_argv, cwd=str(cwd), redactor=redactor)

        env = dict(os.environ)
        metrics_path = snap.path(f"{layout.SCRATCH}/{layout.METRICS}")
        metrics_path.parent.mkdir(parents=True, exist_ok=True)
        env[METRICS_ENV] = str(metrics_path)
        if manifest.package("envsnap") is None:
            shim = write_shim(snap.path(layout.SHIM))
            env["PYTHONPATH"] = os.pathsep.join([str(shim), *filter(None, [env.get("PYTHONPATH")])])

        started = utc_iso()
        result = run_teed(command, cwd=str(cwd), env=env)
        ended = utc_iso()

        copied, metrics = collect_outputs_with_metrics(cwd, outputs, staging, metrics_path, redactor,
                                                       exclude=[out, staging])
        if code.payload is not None:
            snap.write_bytes(code.state.patch or code.state.tarball or f"{layout.CODE_DIR}/payload", code.payload)
        argv = redactor.argv(list(command))  # first: the redactor then knows these secrets for the log
        snap.write_text(layout.LOG, redactor.text(result.log.decode("utf-8", "replace")))
        record = RunRecord(
            argv=argv, cwd=redactor.text(str(cwd)), started_at=started, ended_at=ended,
            duration_s=round(result.duration_s, 3), exit_code=result.exit_code, peak_rss_bytes=result.peak_rss_bytes,
            code=code.state, data=inputs, outputs=copied, output_patterns=list(outputs), metrics=metrics,
            partial=result.interrupted, numerics_env=dict(manifest.numerics.env),
        )
        snap.write_manifest(manifest, redactor)
        snap.write_run(record, redactor)
        snap.publish()
    return RunResult(out, record)
