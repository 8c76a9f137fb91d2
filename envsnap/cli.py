"""The thin typer layer: parse options, call one function, print, map errors to exit codes.

Exit codes: 0 same / success, 1 differences found, 2 error (one line on stderr, no traceback).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import click
import typer

from . import __version__
from .errors import EnvsnapError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Capture, replay and diff the environment of an ML training run.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"envsnap {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """envsnap: capture an ML environment exactly, replay a run in a pinned container, explain differences."""


# --- capture / show ------------------------------------------------------------------------

@app.command()
def capture(
    output: Path = typer.Option(Path("envsnap.json"), "-o", "--output", help="Manifest file to write."),
    python: Optional[str] = typer.Option(None, "--python", help="Interpreter to capture (default: `python` on PATH)."),
    json_out: bool = typer.Option(False, "--json", help="Write the manifest to stdout instead of a file."),
    no_probes: bool = typer.Option(False, "--no-probes", help="Skip the float-precision probes."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite an existing output file."),
) -> None:
    """Record the exact environment of an interpreter as a manifest (JSON)."""
    from .agent_runtime import LocalRunner, resolve_python
    from .fsutil import check_writable

    if not json_out:
        check_writable(output, force=force)
    runner = LocalRunner(resolve_python(python))
    runner.prefetch(["capture"])  # the agent runs while the rest of envsnap imports

    from .capture import capture_environment
    from .manifest_io import dumps, save

    manifest = capture_environment(runner=runner, probes=not no_probes, argv=["envsnap", *sys.argv[1:]])
    if json_out:
        sys.stdout.write(dumps(manifest))
        return
    save(manifest, output, force=True)
    skipped = ", ".join(f"{k} ({v})" for k, v in manifest.envsnap.skipped.items())
    typer.echo(f"wrote {output}: {len(manifest.packages.python)} packages" + (f"; skipped: {skipped}" if skipped else ""), err=True)


@app.command()
def show(
    manifest: Path = typer.Argument(..., help="Manifest file (or snapshot folder) to summarise."),
) -> None:
    """Print a human summary of a manifest."""
    from .manifest_io import load_manifest
    from .report.show import render_show

    render_show(load_manifest(manifest))


# --- probe ---------------------------------------------------------------------------------
# (owned by envsnap/probes)

@app.command()
def probe(
    python: Optional[str] = typer.Option(None, "--python", help="Interpreter to probe (default: `python` on PATH)."),
    json_out: bool = typer.Option(False, "--json", help="Print results and framework flags as JSON."),
    only: Optional[List[str]] = typer.Option(None, "--only", help="Run only this probe id or id prefix (e.g. cpu.blas); repeatable."),
    budget: float = typer.Option(30.0, "--budget", help="Time budget per probe, in seconds; a probe over it is recorded as failed."),
) -> None:
    """Fingerprint how an interpreter's frameworks do float arithmetic (FTZ, FMA, BLAS kernel, TF32...)."""
    from .agent_runtime import LocalRunner, resolve_python
    from .errors import InterpreterError
    from .probes import run_probes
    from .probes.table import dumps_json, render_table

    runner = LocalRunner(resolve_python(python))
    run = run_probes(runner, budget_s=budget, only=only)
    if run.probes.status == "error":
        raise InterpreterError(run.probes.reason or "the probes could not run")
    if json_out:
        sys.stdout.write(dumps_json(run.probes, run.flags))
    else:
        render_table(run.probes, run.flags, description=runner.description)

# --- lock / dockerfile / build -------------------------------------------------------------
# (owned by envsnap/lock, envsnap/render, envsnap/engine)

def _print_warnings(warnings: List[str]) -> None:
    for w in warnings:
        typer.echo(f"envsnap: warning: {w}", err=True)


@app.command()
def lock(
    manifest: Path = typer.Argument(..., help="Manifest file (or snapshot folder)."),
    output: Path = typer.Option(Path("envsnap-lock"), "-o", "--output", help="Folder to write the locks into."),
    wheelhouse: bool = typer.Option(False, "--wheelhouse", help="Bundle every artifact so installing needs no index."),
) -> None:
    """Pin every package to its exact artifact: requirements.txt (--hash), pylock.toml, conda-lock.yml, wheelhouse/."""
    from .lock import lock_manifest
    from .manifest_io import load_manifest

    result = lock_manifest(load_manifest(manifest), output, wheelhouse=wheelhouse)
    _print_warnings(result.warnings + [f"{s.name}=={s.version} not locked: {s.reason}" for s in result.skipped])
    typer.echo(f"wrote {output}: {len(result.packages)} packages locked, {len(result.wheelhouse)} in the wheelhouse"
               + (f", index {', '.join(result.index_urls)}" if result.index_urls else ", no index needed"), err=True)


@app.command()
def dockerfile(
    manifest: Path = typer.Argument(..., help="Manifest file (or snapshot folder)."),
    output: Path = typer.Option(Path("envsnap-context"), "-o", "--output", help="Build-context folder to write."),
    base_image: Optional[str] = typer.Option(None, "--base-image", help="Use this base image instead of the chosen one."),
    wheelhouse: bool = typer.Option(False, "--wheelhouse", help="Bundle every artifact (air-gapped build)."),
    ca_bundle: Optional[Path] = typer.Option(None, "--ca-bundle", help="PEM bundle pip trusts during the build only."),
) -> None:
    """Write a build context: Dockerfile, locks, wheelhouse/ and the manifest."""
    from .engine.build import prepare_context, read_ca_bundle
    from .engine.docker_engine import Engine

    ca = read_ca_bundle(ca_bundle)
    try:
        engine = Engine()
    except EnvsnapError:  # no engine: the chosen base image is rendered unchecked
        engine = None
    _, ctx, _, _, _ = prepare_context(manifest, output, base_image=base_image, ca=ca, wheelhouse=wheelhouse,
                                      engine=engine)
    _print_warnings(list(ctx.warnings))
    if ctx.build_args:
        typer.echo("envsnap: note: build with " + " ".join(f"--build-arg {k}=<U+{ord(v):04X}>"
                                                             for k, v in ctx.build_args.items()), err=True)
    typer.echo(f"wrote {output}/Dockerfile (base {ctx.base_image})", err=True)


@app.command()
def build(
    manifest: Path = typer.Argument(..., help="Manifest file (or snapshot folder)."),
    tag: Optional[str] = typer.Option(None, "--tag", "-t", help="Image tag (default: envsnap/replay:<manifest hash>)."),
    base_image: Optional[str] = typer.Option(None, "--base-image", help="Use this base image instead of the chosen one."),
    wheelhouse: bool = typer.Option(False, "--wheelhouse", help="Bundle every artifact (air-gapped build)."),
    ca_bundle: Optional[Path] = typer.Option(None, "--ca-bundle", help="PEM bundle pip trusts during the build only."),
    save: Optional[Path] = typer.Option(None, "--save", help="docker save the base and built images into this tar."),
    context: Optional[Path] = typer.Option(None, "--context", help="Build-context folder (default: envsnap's cache)."),
) -> None:
    """Build the pinned image of a manifest through the Docker engine."""
    from .engine import build as do_build
    from .fsutil import check_writable

    if save is not None:
        check_writable(save, force=True)
    res = do_build(manifest, tag=tag, base_image=base_image, ca_bundle=ca_bundle, wheelhouse=wheelhouse, save=save,
                   context_dir=context)
    _print_warnings(list(res.warnings))
    typer.echo(f"built {res.image.tag} ({res.image.id[:19]}){' from cache' if res.image.cached else ''}; "
               f"log {res.image.log_path}" + (f"; saved {res.saved}" if res.saved else ""), err=True)
    typer.echo(res.image.tag)

# --- run / replay --------------------------------------------------------------------------
# (owned by envsnap/run, envsnap/replay)

@app.command(context_settings={"allow_interspersed_args": False})
def run(
    command: List[str] = typer.Argument(..., metavar="-- COMMAND...", help="The command to run, after --."),
    output: Path = typer.Option(..., "-o", "--output", help="Snapshot folder to write."),
    data: List[Path] = typer.Option([], "--data", help="Input file or folder to fingerprint (repeatable)."),
    outputs: List[str] = typer.Option([], "--outputs", help="Glob of output files to keep, relative to cwd (repeatable), e.g. 'out/**'."),
    python: Optional[str] = typer.Option(None, "--python", help="Interpreter whose environment to capture (default: the command's)."),
    no_probes: bool = typer.Option(False, "--no-probes", help="Skip the float-precision probes."),
    force: bool = typer.Option(False, "--force", "-f", help="Replace an existing snapshot folder."),
) -> None:
    """Run COMMAND exactly as usual and record a replayable snapshot (exit code: the command's)."""
    from .run import run_snapshot

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
    force: bool = typer.Option(False, "--force", "-f", help="Replace an existing replay folder."),
) -> None:
    """Rerun a snapshot's command in its pinned container and compare (exit 0 same, 1 diverged, 2 error)."""
    from .replay import ReplayOptions, replay_snapshot
    from .replay.options import parse_duration, parse_env

    opts = ReplayOptions(
        gpus=gpus, network=network, data_dir=data_dir, allow_data_change=allow_data_change, rtol=rtol, atol=atol,
        timeout_s=parse_duration(timeout), base_image=base_image, ca_bundle=ca_bundle, wheelhouse=wheelhouse,
        env=parse_env(env), code_dir=code_dir, probes=not no_probes, force=force, quiet=quiet,
    )
    result = replay_snapshot(snapshot, output, opts, envsnap_argv=["envsnap", *sys.argv[1:]])
    r = result.report
    typer.echo(f"envsnap: replay {r.status.replace('_', ' ')}: {r.verdict} (report: {output}/report.md)", err=True)
    for c in (r.top_causes[:3] if r.status != "identical" else []):
        typer.echo(f"  {c.severity}: {c.subject}: {c.a or '-'} -> {c.b or '-'}", err=True)
    raise typer.Exit(result.exit_code)

# --- diff ----------------------------------------------------------------------------------
# (owned by envsnap/diff, envsnap/report)

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
    from .errors import UsageError
    from .fsutil import check_writable, write_text_atomic

    if json_out and markdown:
        raise UsageError("--json and --markdown are exclusive")
    for target in (output, plot):
        if target is not None:
            check_writable(target, force=force)
    from .diff.detect import diff_paths

    result = diff_paths(a, b, rtol=rtol, atol=atol)
    if json_out:
        from .report.diff_json import render_json

        text = render_json(result)
    elif markdown:
        from .report.diff_markdown import render_markdown

        text = render_markdown(result)
    else:
        from .report.diff_text import render_text

        import shutil

        color = output is None and sys.stdout.isatty()
        text = render_text(result, width=shutil.get_terminal_size().columns if color else 120, color=color)
    if plot is not None:
        series = getattr(result, "series", [])
        if series:
            from .report.diff_plot import write_plot

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


def main(argv: Optional[List[str]] = None) -> None:
    """Entry point: the one place EnvsnapError is caught."""
    try:
        rc = app(args=argv, standalone_mode=False)
    except EnvsnapError as exc:
        sys.stdout.flush()
        typer.echo(f"envsnap: error: {exc.message}", err=True)
        if exc.detail:
            typer.echo(exc.detail.rstrip(), err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        typer.echo("envsnap: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("envsnap: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug, not a user error: still one line unless debugging
        if os.environ.get("ENVSNAP_DEBUG"):
            raise
        typer.echo(f"envsnap: internal error: {type(exc).__name__}: {exc} (set ENVSNAP_DEBUG=1 for a traceback)", err=True)
        sys.exit(2)
    sys.exit(rc if isinstance(rc, int) else 0)
