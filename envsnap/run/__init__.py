"""``envsnap run -- CMD``: run a command exactly as usual and record a replayable snapshot.

The snapshot (see the layout in docs/run-replay.md) holds the environment of the command's
interpreter (probes included), the code state, input fingerprints, the scrubbed log, the
declared outputs and per-step metrics. It is assembled in a hidden sibling folder and renamed
into place at the end, so a crash never leaves a half-written snapshot behind.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ..fsutil import check_output_folder, parent_dir, write_bytes_atomic, write_text_atomic
from ..metrics import ENV_VAR as METRICS_ENV
from ..model import FileRecord, RunRecord
from ..redact import Redactor

METRICS_NAME = "metrics.jsonl"


@dataclass(frozen=True)
class RunResult:
    snapshot: Path
    record: RunRecord


def utc_iso(ts: Optional[float] = None) -> str:
    """A run record's timestamp (UTC, microseconds): now, or the epoch time ``ts``."""
    moment = datetime.now(timezone.utc) if ts is None else datetime.fromtimestamp(ts, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def prepare_output_dir(out: Path, *, force: bool) -> Path:
    """Fail before any slow work; return the hidden staging folder to fill."""
    check_output_folder(out, force=force)
    parent = parent_dir(out, writable=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=parent))


def publish(staging: Path, out: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp made it private
    if out.exists():
        shutil.rmtree(out)
    os.replace(staging, out)


def metric_files(outputs_dir: Path, rels: Sequence[str]) -> List[str]:
    from .outputs import is_metrics_file

    return [f"outputs/{r}" for r in rels if is_metrics_file(outputs_dir / r)]


def collect_outputs_with_metrics(cwd: Path, patterns: Sequence[str], folder: Path, metrics_path: Path,
                                 redactor: Redactor, *, exclude: Sequence[Path] = ()) -> Tuple[List[FileRecord], List[str]]:
    """Outputs into ``folder``/outputs and the log_metrics JSONL into ``folder``/metrics.jsonl
    (shared by run and replay, so both sides of a diff are laid out alike)."""
    from .outputs import collect_outputs

    copied = collect_outputs(cwd, patterns, folder / "outputs", exclude=exclude)
    metrics: List[str] = []
    if metrics_path.exists() and metrics_path.stat().st_size:
        text = metrics_path.read_text(encoding="utf-8", errors="replace")
        write_text_atomic(folder / METRICS_NAME, redactor.text(text))
        metrics.append(METRICS_NAME)
    return copied, metrics + metric_files(folder / "outputs", [r.path for r in copied])


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
    from ..manifest_io import dumps
    from .code import capture_code
    from .data import fingerprint
    from .interpreter import command_python
    from .process import run_teed
    from .shim import write_shim

    cwd = Path.cwd()
    out = out.absolute()
    staging = prepare_output_dir(out, force=force)
    redactor = Redactor()
    try:
        # Everything that describes the starting point is taken before the command can change it.
        inputs = [fingerprint(d, cwd, declared=str(d)) for d in data]
        code = capture_code(cwd, data=list(data) + [out, staging], outputs=outputs, redactor=redactor)
        interp = python or command_python(command, os.environ, cwd) or resolve_python(None)
        manifest = capture_environment(interp, probes=probes, argv=envsnap_argv, cwd=str(cwd), redactor=redactor)

        env = dict(os.environ)
        metrics_path = staging / ".metrics.jsonl"
        env[METRICS_ENV] = str(metrics_path)
        if manifest.package("envsnap") is None:
            shim = write_shim(staging / ".shim")
            env["PYTHONPATH"] = os.pathsep.join([str(shim), *filter(None, [env.get("PYTHONPATH")])])

        started = utc_iso()
        result = run_teed(command, cwd=str(cwd), env=env)
        ended = utc_iso()

        shutil.rmtree(staging / ".shim", ignore_errors=True)
        copied, metrics = collect_outputs_with_metrics(cwd, outputs, staging, metrics_path, redactor,
                                                       exclude=[out, staging])
        metrics_path.unlink(missing_ok=True)

        if code.payload is not None:
            (staging / "code").mkdir(exist_ok=True)
            write_bytes_atomic(staging / (code.state.patch or code.state.tarball or "code/payload"), code.payload)
        argv = redactor.argv(list(command))  # first: the redactor then knows these secrets for the log
        write_text_atomic(staging / "log.txt", redactor.text(result.log.decode("utf-8", "replace")))
        record = RunRecord(
            argv=argv, cwd=redactor.text(str(cwd)), started_at=started, ended_at=ended,
            duration_s=round(result.duration_s, 3), exit_code=result.exit_code, peak_rss_bytes=result.peak_rss_bytes,
            code=code.state, data=inputs, outputs=copied, output_patterns=list(outputs), metrics=metrics,
            partial=result.interrupted, numerics_env=dict(manifest.numerics.env),
        )
        write_text_atomic(staging / "manifest.json", dumps(manifest, redactor))
        write_text_atomic(staging / "run.json", dumps(record, redactor))
        publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RunResult(out, record)
