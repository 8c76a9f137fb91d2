"""Rich terminal report of a diff result (OutputsDiff, EnvDiff or SnapshotDiff)."""
from __future__ import annotations

import io
from typing import List, Optional, Sequence, Tuple

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..diff.results import EnvDiff, FileDiff, OutputsDiff, Severity, SnapshotDiff, Verdict
from ..redact import Redactor
from . import diff_common as c

VERDICT_STYLE = {
    Verdict.BITWISE_IDENTICAL: "bold green", Verdict.WITHIN_ULP: "green", Verdict.WITHIN_TOLERANCE: "yellow",
    Verdict.DIVERGED: "bold red", Verdict.STRUCTURAL_MISMATCH: "bold red",
}
SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan",
    Severity.NEGLIGIBLE: "dim",
}


def _table(title: str, header: Sequence[str], rows: Sequence[Tuple[str, ...]]) -> Table:
    t = Table(title=title, title_justify="left", show_lines=False)
    for h in header:
        t.add_column(h, overflow="fold")
    for r in rows[: c.MAX_ROWS]:
        t.add_row(*r)
    if len(rows) > c.MAX_ROWS:
        t.caption = f"{len(rows) - c.MAX_ROWS} more rows in the JSON report (--json)"
    return t


def _outputs(con: Console, o: OutputsDiff, title: str = "Outputs") -> None:
    con.print(Text.assemble((f"{title}: ", "bold"), f"{o.a} vs {o.b}  ", (o.verdict.value, VERDICT_STYLE[o.verdict])))
    _files(con, o.files)
    con.print(f"tolerance: {o.tolerance_source}; A is the reference (|a-b| <= atol + rtol*|a|)")


def _files(con: Console, files: Sequence[FileDiff]) -> None:
    if len(files) > 1 or any(f.only_in or f.note for f in files):
        con.print(_table("Files", ("file", "format", "verdict", "details"), c.file_rows(files)))
    arrays = c.differing_arrays(files)
    if arrays:
        # The terminal gets the first 9 columns; tolerances are printed once below the table.
        con.print(_table("Arrays that differ", c.ARRAY_HEADER[:9], [c.array_row(f, a)[:9] for f, a in arrays]))
        for f, a in arrays:
            if not a.nan_inf.equal:
                con.print(f"NaN/Inf pattern of {c.array_label(f, a)}: NaN only in A {a.nan_inf.nan_only_a}, "
                          f"only in B {a.nan_inf.nan_only_b}, infinity differs {a.nan_inf.inf_mismatch}")
        for tol in sorted({(t.rtol, t.atol, t.source) for _, a in arrays if (t := a.tolerance)}):
            con.print(f"tolerance rtol {tol[0]:g} atol {tol[1]:g} ({tol[2]})")
    n_same = sum(1 for f in files for a in f.arrays if a.verdict == Verdict.BITWISE_IDENTICAL)
    if n_same:
        con.print(f"{n_same} array(s) bitwise identical")
    ser = c.series(files)
    if ser:
        con.print(_table("Per-step series", c.SERIES_HEADER, [c.series_row(f, s) for f, s in ser]))


def _env(con: Console, e: EnvDiff) -> None:
    counts = ", ".join(f"{n} {k}" for k, n in e.counts().items() if n)
    con.print(Text.assemble(("Environment: ", "bold"), f"{e.a} vs {e.b}  ", (e.verdict, "bold"),
                            f"  ({counts or 'no differences'})"))
    if e.differences:
        t = Table(title="Differences, most likely to move the numbers first", title_justify="left")
        for h in ("severity", "what", "A", "B", "why (rule)"):
            t.add_column(h, overflow="fold")
        for d in e.differences[: c.MAX_ROWS]:
            t.add_row(Text(d.severity.value, SEVERITY_STYLE[d.severity]), d.subject, d.a or "-", d.b or "-",
                      f"{d.reason} ({d.rule})")
        if len(e.differences) > c.MAX_ROWS:
            t.caption = f"{len(e.differences) - c.MAX_ROWS} more in the JSON report (--json)"
        con.print(t)
    if e.evidence:
        con.print(Text("Probe evidence:", "bold"))
        for line in e.evidence:
            con.print(f"  {line}")
    if e.noise:
        con.print(f"ignored as noise: {len(e.noise)} field(s) (timestamps, durations, hostnames, paths)", style="dim")


def _snapshot(con: Console, s: SnapshotDiff) -> None:
    con.print(
        Text.assemble(("Snapshot diff: ", "bold"), f"{s.a} vs {s.b}  ", (s.verdict.value, VERDICT_STYLE[s.verdict]))
    )
    if s.outputs:
        con.print()
        _outputs(con, s.outputs)
    if s.metrics:
        con.print()
        con.print(
            Text.assemble(
                ("Metrics: ", "bold"),
                f"{s.metrics.path}  ",
                (s.metrics.verdict.value, VERDICT_STYLE[s.metrics.verdict]),
                f"  {s.metrics.note or ''}",
            )
        )
        _files(con, [s.metrics])
    if s.env:
        con.print()
        _env(con, s.env)
    for n in s.notes:
        con.print(f"note: {n}", style="yellow")


def render_text(result: object, *, width: Optional[int] = 120, color: bool = False) -> str:
    buf = io.StringIO()
    con = Console(
        file=buf,
        width=width or 120,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    if isinstance(result, SnapshotDiff):
        _snapshot(con, result)
    elif isinstance(result, EnvDiff):
        _env(con, result)
    elif isinstance(result, OutputsDiff):
        _outputs(con, result)
    else:
        raise TypeError(f"not a diff result: {type(result).__name__}")
    return Redactor().text(buf.getvalue())


__all__: List[str] = ["render_text"]
