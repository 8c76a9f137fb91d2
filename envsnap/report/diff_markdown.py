"""Markdown report of a diff result, for a pull request comment or a CI job summary."""
from __future__ import annotations

from typing import List, Sequence, Tuple

from ..diff.results import EnvDiff, FileDiff, OutputsDiff, SnapshotDiff, Verdict
from ..redact import Redactor
from . import diff_common as c

ICON = {
    Verdict.BITWISE_IDENTICAL: "✅", Verdict.WITHIN_ULP: "✅", Verdict.WITHIN_TOLERANCE: "🟡",
    Verdict.DIVERGED: "❌", Verdict.STRUCTURAL_MISMATCH: "❌",
}


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Sequence[Tuple[str, ...]]) -> List[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(x) for x in r) + " |" for r in rows[: c.MAX_ROWS]]
    if len(rows) > c.MAX_ROWS:
        out.append(f"\n_{len(rows) - c.MAX_ROWS} more rows in the JSON report._")
    return out + [""]


def _files(files: Sequence[FileDiff]) -> List[str]:
    out: List[str] = []
    if len(files) > 1 or any(f.only_in or f.note for f in files):
        out += _table(("file", "format", "verdict", "details"), c.file_rows(files))
    arrays = c.differing_arrays(files)
    if arrays:
        out += ["**Arrays that differ**", ""] + _table(c.ARRAY_HEADER, [c.array_row(f, a) for f, a in arrays])
    n_same = sum(1 for f in files for a in f.arrays if a.verdict == Verdict.BITWISE_IDENTICAL)
    if n_same:
        out += [f"{n_same} array(s) bitwise identical.", ""]
    ser = c.series(files)
    if ser:
        out += ["**Per-step series**", ""] + _table(c.SERIES_HEADER, [c.series_row(f, s) for f, s in ser])
    return out


def _outputs(o: OutputsDiff, level: str) -> List[str]:
    return (
        [f"{level} Outputs: {ICON[o.verdict]} `{o.verdict.value}`", "", f"`{o.a}` vs `{o.b}`", ""]
        + _files(o.files)
        + [f"Tolerance: {o.tolerance_source}; A is the reference (`|a-b| <= atol + rtol*|a|`).", ""]
    )


def _env(e: EnvDiff, level: str) -> List[str]:
    counts = ", ".join(f"{n} {k}" for k, n in e.counts().items() if n) or "no differences"
    out = [f"{level} Environment: `{e.verdict}` ({counts})", ""]
    if e.differences:
        rows = [
            (f"**{d.severity.value}**", d.subject, d.a or "-", d.b or "-", f"{d.reason} (`{d.rule}`)")
            for d in e.differences
        ]
        out += _table(("severity", "what", "A", "B", "why (rule)"), rows)
    if e.evidence:
        out += ["**Probe evidence**", ""] + [f"- `{line}`" for line in e.evidence] + [""]
    if e.noise:
        out += [f"_{len(e.noise)} field(s) ignored as noise (timestamps, durations, hostnames, paths)._", ""]
    return out


def render_markdown(result: object) -> str:
    if isinstance(result, SnapshotDiff):
        out = [
            f"## envsnap diff: {ICON[result.verdict]} `{result.verdict.value}`",
            "",
            f"`{result.a}` vs `{result.b}`",
            "",
        ]
        if result.outputs:
            out += _outputs(result.outputs, "###")
        if result.metrics:
            out += [f"### Metrics: {ICON[result.metrics.verdict]} `{result.metrics.verdict.value}`", ""]
            out += ([result.metrics.note, ""] if result.metrics.note else []) + _files([result.metrics])
        if result.env:
            out += _env(result.env, "###")
        out += [f"> note: {n}" for n in result.notes]
    elif isinstance(result, EnvDiff):
        out = _env(result, "##")
    elif isinstance(result, OutputsDiff):
        out = _outputs(result, "##")
    else:
        raise TypeError(f"not a diff result: {type(result).__name__}")
    return Redactor().text("\n".join(out).rstrip() + "\n")
