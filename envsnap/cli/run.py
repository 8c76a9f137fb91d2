"""run, replay: record a run, rerun it in its pinned container."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from .app import ENGINE_HELP, app


@app.command(context_settings={"allow_interspersed_args": False})
def run(
    command: List[str] = typer.Argument(..., metavar="-- COMMAND...", help="The command to run, after --."),
    output: Path = typer.Option(..., "-o", "--output", help="Snapshot folder to write."),
    data: List[Path] = typer.Option([], "--data", help="Input file or folder to fingerprint (repeatable)."),
    outputs: List[str] = typer.Option([], "--outputs", help="Glob of output files to keep, relative to cwd (repeatable), e.g. 'out/**'."),
    python: Optional[str] = typer.Option(None, "--python", help="Interpreter whose environment to capture (default: the command's)."),
    no_probes: bool = typer.Option(False, "--no-probes", help="Skip the float-precision probes."),
    force: bool = typer.Option(False, "--force", "-f", help="Replace an existing snapshot folder (one envsnap wrote)."),
) -> None:
    """Run COMMAND exactly as usual and record a replayable snapshot (exit code: the command's)."""
    from ..run import run_snapshot

    result = run_snapshot(
        command, output, data=data, outputs=outputs, python=python, probes=not no_probes, force=force,
        envsnap_argv=["envsnap", *sys.argv[1:]],
    )
    rec = result.record
    state = "interrupted" if rec.partial else f"exit {rec.exit_code}"
    typer.echo(
        f"envsnap: snapshot {output}: {state}, {rec.duration_s:.1f} s, {len(rec.outputs)} outputs, "
        f"code {rec.code.kind}" + (" (dirty)" if rec.code.dirty else ""), err=True,
    )
    raise typer.Exit(rec.exit_code)


@app.command()
def replay(
    snapshot: Path = typer.Argument(..., help="Snapshot folder written by `envsnap run`."),
    output: Path = typer.Option(..., "-o", "--output", help="Replay folder to write (the snapshot is never modified)."),
    gpus: str = typer.Option("all", "--gpus", help="GPUs to attach when the run used one: all, none, or indices like 0,1."),
    network: Optional[str] = typer.Option(None, "--network", help="Container network, e.g. none."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Where the inputs are on this host (one input: the input itself; several: their parent)."),
    allow_data_change: bool = typer.Option(False, "--allow-data-change", help="Replay even when input data differs from the snapshot."),
    rtol: Optional[float] = typer.Option(None, "--rtol", help="Relative tolerance (default: per dtype, like torch.testing)."),
    atol: Optional[float] = typer.Option(None, "--atol", help="Absolute tolerance (default: per dtype)."),
    timeout: Optional[str] = typer.Option(None, "--timeout", help="Stop the command after this long, e.g. 2h, 90m, 45s."),
    base_image: Optional[str] = typer.Option(None, "--base-image", help="Base image to build on instead of the chosen one."),
    ca_bundle: Optional[Path] = typer.Option(None, "--ca-bundle", help="PEM bundle for pip during the build (TLS-intercepting proxies); not kept in the image."),
    wheelhouse: bool = typer.Option(False, "--wheelhouse", help="Put every locked artifact into the build context (builds need no index)."),
    env: List[str] = typer.Option([], "--env", help="Override a variable in the container, NAME=VALUE (repeatable): what-if experiments."),
    code_dir: Optional[Path] = typer.Option(None, "--code-dir", help="A git clone holding the recorded commit (default: the original location or cwd)."),
    no_probes: bool = typer.Option(False, "--no-probes", help="Skip the probes of the in-container capture."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not stream the command's log."),
    force: bool = typer.Option(False, "--force", "-f", help="Replace an existing replay folder (one envsnap wrote)."),
    engine: Optional[str] = typer.Option(None, "--engine", help=ENGINE_HELP),
) -> None:
    """Rerun a snapshot's command in its pinned container and compare (exit 0 same, 1 diverged, 2 error)."""
    from ..build.pipeline import BuildOptions, read_ca_bundle
    from ..engines import get_engine
    from ..replay import ReplayOptions
    from ..replay import replay as do_replay
    from ..replay.options import parse_duration, parse_env
    from ..snapshot import read_snapshot
    from .render import EventRenderer

    opts = ReplayOptions(
        gpus=gpus, network=network, data_dir=data_dir, allow_data_change=allow_data_change, rtol=rtol, atol=atol,
        timeout_s=parse_duration(timeout), env=parse_env(env), code_dir=code_dir, probes=not no_probes, force=force,
        build=BuildOptions(base_image=base_image, ca_bundle=read_ca_bundle(ca_bundle), wheelhouse=wheelhouse),
    )
    snap = read_snapshot(snapshot)
    snap.require_run()
    with EventRenderer(quiet=quiet) as show:
        result = do_replay(snap, output, opts, engine=get_engine(engine), envsnap_argv=["envsnap", *sys.argv[1:]],
                           on_event=show)
    r = result.report
    typer.echo(f"envsnap: replay {r.status.replace('_', ' ')}: {r.verdict} (report: {output}/report.md)", err=True)
    for c in (r.top_causes[:3] if r.status != "identical" else []):
        typer.echo(f"  {c.severity}: {c.subject}: {c.a or '-'} -> {c.b or '-'}", err=True)
    raise typer.Exit(result.exit_code)
