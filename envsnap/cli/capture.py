"""capture, show, probe: what an environment is."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from .app import app


@app.command()
def capture(
    output: Path = typer.Option(Path("envsnap.json"), "-o", "--output", help="Manifest file to write."),
    python: Optional[str] = typer.Option(None, "--python", help="Interpreter to capture (default: `python` on PATH)."),
    json_out: bool = typer.Option(False, "--json", help="Write the manifest to stdout instead of a file."),
    no_probes: bool = typer.Option(False, "--no-probes", help="Skip the float-precision probes."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite an existing output file."),
) -> None:
    """Record the exact environment of an interpreter as a manifest (JSON)."""
    from ..agent_runtime import LocalRunner, resolve_python
    from ..fsutil import check_writable

    if not json_out:
        check_writable(output, force=force)
    runner = LocalRunner(resolve_python(python))
    runner.prefetch(["capture"])  # the agent runs while the rest of envsnap imports

    from ..capture import capture_environment
    from ..manifest_io import dumps, save

    manifest = capture_environment(runner=runner, probes=not no_probes, argv=["envsnap", *sys.argv[1:]])
    if json_out:
        sys.stdout.write(dumps(manifest))
        return
    save(manifest, output, force=True)
    skipped = ", ".join(f"{k} ({v})" for k, v in manifest.envsnap.skipped.items())
    typer.echo(f"wrote {output}: {len(manifest.packages.python)} packages" + (f"; skipped: {skipped}" if skipped else ""),
               err=True)


@app.command()
def show(
    manifest: Path = typer.Argument(..., help="Manifest file (or snapshot folder) to summarise."),
) -> None:
    """Print a human summary of a manifest."""
    from rich.console import Console

    from ..report.show import show_manifest
    from ..snapshot import read_snapshot

    Console().print(show_manifest(read_snapshot(manifest).manifest))


@app.command()
def probe(
    python: Optional[str] = typer.Option(None, "--python", help="Interpreter to probe (default: `python` on PATH)."),
    json_out: bool = typer.Option(False, "--json", help="Print results and framework flags as JSON."),
    only: Optional[List[str]] = typer.Option(None, "--only", help="Run only this probe id or id prefix (e.g. cpu.blas); repeatable."),
    budget: float = typer.Option(30.0, "--budget", help="Time budget per probe, in seconds; a probe over it is recorded as failed."),
) -> None:
    """Fingerprint how an interpreter's frameworks do float arithmetic (FTZ, FMA, BLAS kernel, TF32...)."""
    from rich.console import Console

    from ..agent_runtime import LocalRunner, resolve_python
    from ..errors import InterpreterError
    from ..probes import run_probes
    from ..probes.table import dumps_json, probes_report

    runner = LocalRunner(resolve_python(python))
    run = run_probes(runner, budget_s=budget, only=only)
    if run.probes.status == "error":
        raise InterpreterError(run.probes.reason or "the probes could not run")
    if json_out:
        sys.stdout.write(dumps_json(run.probes, run.flags))
    else:
        Console().print(probes_report(run.probes, run.flags, description=runner.description))
