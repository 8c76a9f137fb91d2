"""report.json and report.md of a replay: what ran, the verdict, and why it differs."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from pydantic import BaseModel, Field

from ..diff.results import ArrayDiff, SeriesDiff, SnapshotDiff
from ..redact import Redactor

if TYPE_CHECKING:
    from pathlib import Path

    from ..build.pipeline import BuildResult
    from ..snapshot import Snapshot
    from .options import ReplayOptions
    from .prepare import ReplayPlan
    from .targets.base import Execution

REPORT_SCHEMA_VERSION = 1
TOP_CAUSES = 5
LOG_TAIL = 30
_STATUS_OF_VERDICT = {"BITWISE_IDENTICAL": "identical", "WITHIN_ULP": "within_tolerance",
                      "WITHIN_TOLERANCE": "within_tolerance"}


class Cause(BaseModel):
    severity: str
    subject: str
    a: Optional[str] = None
    b: Optional[str] = None
    reason: str


class ReplayReport(BaseModel):
    schema_version: int = REPORT_SCHEMA_VERSION
    kind: str = "replay"
    status: str  # identical | within_tolerance | diverged | crashed | timeout | interrupted
    verdict: Optional[str] = None  # numeric verdict of outputs + metrics
    exit_code: int
    snapshot: str
    replay: str
    command: List[str]
    container_exit_code: Optional[int] = None
    duration_s: Optional[float] = None
    original_duration_s: Optional[float] = None
    image: Dict[str, Any] = Field(default_factory=dict)
    gpu: Dict[str, Any] = Field(default_factory=dict)
    env_overrides: Dict[str, str] = Field(default_factory=dict)
    data: List[str] = Field(default_factory=list)  # per input: verified / changed (allowed)
    warnings: List[str] = Field(default_factory=list)
    partial: bool = False
    log_tail: List[str] = Field(default_factory=list)
    top_causes: List[Cause] = Field(default_factory=list)
    evidence: List[str] = Field(default_factory=list)  # probe changes that back the causes
    diff: Optional[Dict[str, Any]] = None  # the SnapshotDiff (envsnap/report/diff_json.py format)


def causes(diff: Optional[SnapshotDiff]) -> List[Cause]:
    """The ranked environment differences that can explain the numbers.

    Probe changes are evidence, not causes (a knob or a package moved the probe): they are
    listed apart, and the same setting seen twice (env and numerics.env) is named once.
    """
    if diff is None or diff.env is None:
        return []
    out: List[Cause] = []
    seen = set()
    candidates = [
        d
        for d in diff.env.differences
        if d.severity.value != "negligible" and not d.category.startswith("probe") and not d.rule.startswith("probe")
    ]
    # Low-ranked differences (host variables absent in the container, ...) explain nothing
    # when something ranked medium or above differs: list them only when nothing else does.
    if any(d.severity.value in ("critical", "high", "medium") for d in candidates):
        candidates = [d for d in candidates if d.severity.value != "low"]
    for d in candidates:
        key = (d.subject.split()[-1], d.a, d.b)
        if key in seen:
            continue
        seen.add(key)
        out.append(Cause(severity=d.severity.value, subject=d.subject, a=d.a, b=d.b, reason=d.reason))
        if len(out) == TOP_CAUSES:
            break
    return out


def build_report(
    snapshot: "Snapshot",
    out: "Path",
    opts: "ReplayOptions",
    plan: "ReplayPlan",
    built: "BuildResult",
    execution: "Execution",
    diff: SnapshotDiff,
    redactor: Redactor,
    *,
    extra_warnings: Sequence[str] = (),
) -> ReplayReport:
    """The report of one replay, from the values every stage produced."""
    from ..report.diff_json import to_data

    res = execution.result
    run = snapshot.require_run()
    status = "timeout" if res.timed_out else "interrupted" if res.interrupted else None
    if status is None and res.exit_code not in (0, None):
        status = "crashed"
    verdict = diff.verdict.value
    status = status or _STATUS_OF_VERDICT.get(verdict, "diverged")
    exit_code = {"identical": 0, "within_tolerance": 0, "diverged": 1}.get(status, 2)
    tail = redactor.text(res.log).splitlines()[-LOG_TAIL:]
    py = built.prepared.context.python
    warnings = [*plan.warnings, *built.warnings, *extra_warnings]
    return ReplayReport(
        status=status,
        verdict=verdict,
        exit_code=exit_code,
        snapshot=snapshot.label,
        replay=str(out),
        command=redactor.argv(list(plan.command)),
        container_exit_code=res.exit_code,
        duration_s=round(res.duration_s, 3),
        original_duration_s=run.duration_s,
        image={
            "tag": built.image.tag,
            "id": built.image.id,
            "base": built.prepared.base_image,
            "cached": built.reused or built.image.cached,
            "python": py.provider,
            "python_exact": py.exact,
        },
        gpu={"used": plan.gpu.used, "attached": plan.gpu.attach, "requested": opts.gpus},
        env_overrides=dict(opts.env),
        data=plan.data_notes,
        warnings=[redactor.text(w) for w in warnings],
        partial=res.timed_out or res.interrupted,
        log_tail=tail if status in ("crashed", "timeout", "interrupted") else [],
        top_causes=causes(diff),
        evidence=list(diff.env.evidence) if diff.env else [],
        diff=to_data(diff),
    )


def render_json(report: ReplayReport) -> str:
    return (
        json.dumps(
            Redactor().obj(report.model_dump(mode="json")), indent=2, sort_keys=True, ensure_ascii=False, default=str
        )
        + "\n"
    )


_HEADLINE = {
    "identical": "Replay reproduced the run bit for bit",
    "within_tolerance": "Replay reproduced the run within tolerance",
    "diverged": "Replay diverged from the original run",
    "crashed": "The training crashed in the replay container",
    "timeout": "The replay hit --timeout: stopped, partial outputs kept",
    "interrupted": "The replay was interrupted: stopped, partial outputs kept",
}


def _cell(v: Optional[str]) -> str:
    return (v or "-").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: ReplayReport, diff: Optional[SnapshotDiff] = None) -> str:
    r = report
    lines = [f"# envsnap replay: {_HEADLINE.get(r.status, r.status)}", ""]
    lines += [
        f"- verdict: **{r.verdict or 'n/a'}** (exit code {r.exit_code})",
        f"- snapshot: `{r.snapshot}`",
        f"- replay: `{r.replay}`",
        f"- command: `{' '.join(r.command)}`",
    ]
    if r.image:
        lines.append(
            f"- image: `{r.image.get('tag')}` from `{r.image.get('base')}`"
            + (" (fully cached)" if r.image.get("cached") else "")
        )
    if r.container_exit_code is not None:
        lines.append(f"- container exit code: {r.container_exit_code}")
    if r.duration_s is not None:
        orig = f" (original: {r.original_duration_s:.1f} s)" if r.original_duration_s is not None else ""
        lines.append(f"- duration: {r.duration_s:.1f} s{orig}")
    if r.env_overrides:
        lines.append(
            "- environment overridden for this replay: "
            + ", ".join(f"`{k}={v}`" for k, v in sorted(r.env_overrides.items()))
        )
    if r.partial:
        lines.append("- **outputs are partial** (the command did not finish)")
    lines.append("")
    if r.warnings:
        lines += ["## Warnings", ""] + [f"- {w}" for w in r.warnings] + [""]
    same = r.status == "identical"
    # When the numbers agree, low-ranked differences explain nothing: show only what could matter.
    shown = [c for c in r.top_causes if not same or c.severity in ("critical", "high", "medium")]
    if shown:
        title = (
            "Environment differences that did not change the numbers"
            if same
            else "Most likely causes (environment differences, ranked)"
        )
        lines += [
            f"## {title}",
            "",
            "| severity | what | original | replay | why it matters |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {c.severity} | {_cell(c.subject)} | {_cell(c.a)} | {_cell(c.b)} | {_cell(c.reason)} |" for c in shown
        ]
        lines.append("")
    elif same and r.top_causes:
        lines += ["No environment difference ranked medium or above (the full list is in report.json).", ""]
    if r.evidence:
        lines += ["## Evidence from the numerics probes", ""] + [f"- {e}" for e in r.evidence] + [""]
    if diff is not None and diff.outputs is not None:
        lines += ["## Outputs", "", "| file | verdict | note |", "|---|---|---|"]
        for f in diff.outputs.files:
            worst = max(f.arrays, key=lambda a: a.verdict.rank, default=None) if f.arrays else None
            note = f.note or ""
            if worst is not None and worst.verdict.value != "BITWISE_IDENTICAL":
                note = note or _array_note(worst)
            lines.append(f"| `{f.path}` | {f.verdict.value} | {_cell(note)} |")
        lines.append("")
    if diff is not None and diff.metrics is not None:
        lines += ["## Metrics", ""]
        for s in diff.metrics.series:
            lines.append(f"- `{s.name}`: {s.verdict.value}" + _series_note(s))
        if not diff.metrics.series:
            lines.append(f"- metrics.jsonl: {diff.metrics.verdict.value}")
        lines.append("")
    if r.log_tail:
        lines += ["## Log tail", "", "```"] + r.log_tail + ["```", ""]
    if diff is not None and diff.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in diff.notes] + [""]
    return Redactor().text("\n".join(lines).rstrip() + "\n")


def _array_note(a: ArrayDiff) -> str:
    parts = []
    for key in ("max_abs_diff", "max_rel_diff", "ulp_max", "mismatch_fraction"):
        v = getattr(a, key, None)
        if v is not None:
            parts.append(f"{key.replace('_', ' ')} {v:.3g}" if isinstance(v, float) else f"{key.replace('_', ' ')} {v}")
    return f"{a.name}: " + ", ".join(parts) if parts else a.name


def _series_note(s: SeriesDiff) -> str:
    parts = []
    for key in ("first_bitwise_divergence", "first_beyond_tolerance"):
        v = getattr(s, key, None)
        if v is not None:
            parts.append(f"{key.replace('_', ' ')} at step {v}")
    return (" (" + ", ".join(parts) + ")") if parts else ""
