"""``envsnap replay``: plan -> image -> execute -> record -> compare -> report.

Each stage is a function of values (replay/prepare.py, build/pipeline.py, a ReplayTarget,
replay/compare.py, replay/report.py); this module only strings them together. The replay
folder is written through SnapshotWriter: it appears whole at OUT, or (when something fails
before the command ran) not at all. The snapshot is only read.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Tuple

from ..build.pipeline import build_image
from ..engines.base import LABEL, ContainerEngine
from ..errors import EngineError, OutputError
from ..events import EventSink, discard
from ..model import Nvidia, RunRecord
from ..redact import Redactor
from ..snapshot import Snapshot, SnapshotWriter, layout
from .compare import compare
from .options import ReplayOptions
from .prepare import ReplayPlan, plan_replay
from .report import ReplayReport, build_report, render_json, render_markdown
from .targets.base import Execution, ReplayTarget
from .targets.local import LocalContainerTarget


# Besides LABEL=<replay id>: which snapshot and which replay folder a container belongs to.
SNAPSHOT_LABEL = f"{LABEL}.snapshot"
OUT_LABEL = f"{LABEL}.out"


@dataclass(frozen=True)
class ReplayResult:
    out: Path
    report: ReplayReport
    exit_code: int


def replay(snapshot: Snapshot, out: Path, opts: ReplayOptions, *, engine: ContainerEngine,
           target: Optional[ReplayTarget] = None, host_gpus: Optional[Nvidia] = None,
           envsnap_argv: Sequence[str] = (), on_event: EventSink = discard) -> ReplayResult:
    """Rerun ``snapshot``'s command in its image and compare. A crash, a timeout or an interrupt
    still writes the replay folder (report included) and then raises EngineError."""
    snapshot.require_run()
    out = Path(out).absolute()
    if snapshot.root is not None and (out == snapshot.root.absolute() or snapshot.root.absolute() in out.parents):
        raise OutputError(out, "is inside the snapshot; the snapshot is never modified, choose another folder")
    redactor = Redactor()
    protect = [snapshot.root] if snapshot.root is not None else []
    with SnapshotWriter(out, kind="replay", force=opts.force, protect=protect) as writer:
        plan = plan_replay(snapshot, opts, writer.staging, host_gpus=host_gpus)
        try:
            built = build_image(snapshot.manifest, engine, opts.build, on_event=on_event)
            target = target or LocalContainerTarget(
                engine, replay_id=uuid.uuid4().hex[:12], labels={SNAPSHOT_LABEL: _where(snapshot), OUT_LABEL: str(out)},
                probes=opts.probes, envsnap_argv=envsnap_argv, redactor=redactor)
            execution = target.execute(plan, built.image.tag, on_event=on_event)
        except KeyboardInterrupt:
            raise EngineError("interrupted: every container of this replay stopped and removed") from None
        replayed, env_captured = _record(writer, snapshot, plan, execution, redactor)
        if built.image.log_path is not None and built.image.log_path.is_file():
            writer.write_bytes(layout.BUILD_LOG, built.image.log_path.read_bytes())
        diff = compare(snapshot, replayed, rtol=opts.rtol, atol=opts.atol, environment=env_captured)
        report = build_report(snapshot, out, opts, plan, built, execution, diff, redactor,
                              extra_warnings=_capture_warning(execution))
        writer.write_text(layout.REPORT_JSON, render_json(report))
        writer.write_text(layout.REPORT_MD, render_markdown(report, diff))
        writer.publish()
    _raise_for_status(report, execution, out)
    return ReplayResult(out, report, report.exit_code)


def _where(snapshot: Snapshot) -> str:
    return str(snapshot.root.absolute()) if snapshot.root is not None else snapshot.label


def _capture_warning(execution: Execution) -> Sequence[str]:
    if execution.manifest is None:
        return [f"the in-container environment could not be captured: {execution.capture_error or 'interrupted'}"]
    return []


def _record(writer: SnapshotWriter, original: Snapshot, plan: ReplayPlan, execution: Execution,
            redactor: Redactor) -> Tuple[Snapshot, bool]:
    """The replay folder's snapshot part (outputs, metrics, log, run record, manifest)."""
    from ..run import utc_iso
    from ..snapshot.outputs import collect_outputs_with_metrics

    run = original.require_run()
    res = execution.result
    copied, metrics = collect_outputs_with_metrics(plan.restored_cwd, run.output_patterns, writer.staging,
                                                   plan.scratch / layout.METRICS, redactor)
    writer.write_text(layout.LOG, redactor.text(res.log))
    rec = RunRecord(
        argv=redactor.argv(list(plan.command)), cwd=plan.workdir, started_at=utc_iso(time.time() - res.duration_s),
        ended_at=utc_iso(), duration_s=round(res.duration_s, 3),
        exit_code=res.exit_code if res.exit_code is not None else -1, code=run.code, data=run.data, outputs=copied,
        output_patterns=list(run.output_patterns), metrics=metrics, partial=res.timed_out or res.interrupted,
        numerics_env=plan.env,
    )
    writer.write_run(rec, redactor)
    manifest = None
    if execution.manifest is not None:
        # The workspace is the recorded commit + patch by construction (restore_code checks the
        # patch applies), but it is no git checkout: carry the original's code state over so
        # the environment diff does not report a code change that did not happen.
        manifest = execution.manifest.model_copy(update={"git": original.manifest.git})
        writer.write_manifest(manifest, redactor)
    replayed = Snapshot(manifest=manifest or original.manifest, run=rec, root=writer.staging, kind="replay",
                        name=str(writer.out))
    return replayed, manifest is not None


def _raise_for_status(report: ReplayReport, execution: Execution, out: Path) -> None:
    res = execution.result
    if report.status == "crashed":
        raise EngineError(f"the training exited with status {res.exit_code} in the container "
                          f"(report: {out / layout.REPORT_MD}); last lines:", log_tail=report.log_tail[-15:])
    if report.status == "timeout":
        raise EngineError(f"the replay hit --timeout after {res.duration_s:.0f} s: container stopped and removed, "
                          f"partial outputs kept in {out / layout.OUTPUTS} (report: {out / layout.REPORT_MD})")
    if report.status == "interrupted":
        raise EngineError(f"interrupted: container stopped and removed, partial outputs kept in {out / layout.OUTPUTS}")

