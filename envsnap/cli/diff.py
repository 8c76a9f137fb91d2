"""diff: numbers with verdicts, environments ranked by likely impact."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Optional

import typer

from .app import app


@app.command()
def diff(
    a: Path = typer.Argument(..., help="Manifest JSON, snapshot/replay folder, output folder or data file (the reference)."),
    b: Path = typer.Argument(..., help="The same kind of thing to compare with A."),
    json_out: bool = typer.Option(False, "--json", help="JSON report (schema: envsnap/schema/diff.schema.json)."),
    markdown: bool = typer.Option(False, "--markdown", help="Markdown report (pull request / CI summary)."),
    rtol: Optional[float] = typer.Option(None, "--rtol", help="Relative tolerance (default: per dtype, as torch.testing)."),
    atol: Optional[float] = typer.Option(None, "--atol", help="Absolute tolerance (default: per dtype, as torch.testing)."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Write a PNG of the per-step metric curves and |A-B|."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the report to this file instead of stdout."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing report/plot files."),
) -> None:
    """Compare outputs numerically and environments by likely impact.

    Two manifests: ranked environment differences. Two snapshot or replay folders: outputs/,
    metrics.jsonl and manifests. Two folders or two files (.npy .npz .safetensors .pt .pth
    .json .jsonl .csv): numeric verdicts. Exit 0 identical or within tolerance, 1 beyond
    tolerance (or environments differ), 2 error.
    """
    from ..diff.detect import diff_paths
    from ..errors import UsageError
    from ..fsutil import check_writable, write_text_atomic

    if json_out and markdown:
        raise UsageError("--json and --markdown are exclusive")
    for target in (output, plot):
        if target is not None:
            check_writable(target, force=force)
    result = diff_paths(a, b, rtol=rtol, atol=atol)
    if json_out:
        from ..report.diff_json import render_json

        text = render_json(result)
    elif markdown:
        from ..report.diff_markdown import render_markdown

        text = render_markdown(result)
    else:
        from ..report.diff_text import render_text

        color = output is None and sys.stdout.isatty()
        text = render_text(result, width=shutil.get_terminal_size().columns if color else 120, color=color)
    if plot is not None:
        series = getattr(result, "series", [])
        if series:
            from ..report.diff_plot import write_plot

            write_plot(series, plot)
        else:
            typer.echo(f"envsnap: warning: no per-step series to plot; {plot} not written", err=True)
    if output is not None:
        write_text_atomic(output, text)
        verdict = getattr(result.verdict, "value", result.verdict)
        typer.echo(f"{verdict}: report written to {output}")
    else:
        sys.stdout.write(text)
    raise typer.Exit(result.exit_code)
