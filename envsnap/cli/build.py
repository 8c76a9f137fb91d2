"""lock, dockerfile, build: a manifest pinned, rendered, built."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import ENGINE_HELP, app, print_warnings


@app.command()
def lock(
    manifest: Path = typer.Argument(..., help="Manifest file (or snapshot folder)."),
    output: Path = typer.Option(Path("envsnap-lock"), "-o", "--output", help="Folder to write the locks into."),
    wheelhouse: bool = typer.Option(False, "--wheelhouse", help="Bundle every artifact so installing needs no index."),
) -> None:
    """Pin every package to its exact artifact: requirements.txt (--hash), pylock.toml, conda-lock.yml, wheelhouse/."""
    from ..lock import lock_manifest
    from ..snapshot import read_snapshot

    result = lock_manifest(read_snapshot(manifest).manifest, output, wheelhouse=wheelhouse)
    print_warnings(result.warnings + [f"{s.name}=={s.version} not locked: {s.reason}" for s in result.skipped])
    typer.echo(f"wrote {output}: {len(result.packages)} packages locked, {len(result.wheelhouse)} in the wheelhouse"
               + (f", index {', '.join(result.index_urls)}" if result.index_urls else ", no index needed"), err=True)


@app.command()
def dockerfile(
    manifest: Path = typer.Argument(..., help="Manifest file (or snapshot folder)."),
    output: Path = typer.Option(Path("envsnap-context"), "-o", "--output", help="Build-context folder to write."),
    base_image: Optional[str] = typer.Option(None, "--base-image", help="Use this base image instead of the chosen one."),
    wheelhouse: bool = typer.Option(False, "--wheelhouse", help="Bundle every artifact (air-gapped build)."),
    ca_bundle: Optional[Path] = typer.Option(None, "--ca-bundle", help="PEM bundle pip trusts during the build only."),
    engine: Optional[str] = typer.Option(None, "--engine", help=ENGINE_HELP + " Used to check the base image."),
) -> None:
    """Write a build context: Dockerfile, locks, wheelhouse/ and the manifest."""
    from ..build.pipeline import BuildOptions, prepare, read_ca_bundle
    from ..engines import get_engine
    from ..errors import EnvsnapError, UsageError
    from ..render import write_context
    from ..snapshot import read_snapshot
    from .render import EventRenderer

    opts = BuildOptions(base_image=base_image, ca_bundle=read_ca_bundle(ca_bundle), wheelhouse=wheelhouse)
    m = read_snapshot(manifest).manifest
    try:
        eng = get_engine(engine)
    except UsageError:
        raise
    except EnvsnapError:  # no engine: the chosen base image is rendered unchecked
        eng = None
    with EventRenderer() as show:
        prepared = prepare(m, eng, opts, on_event=show)
    write_context(prepared.context, output)
    ctx = prepared.context
    print_warnings(list(ctx.warnings))
    if ctx.build_args:
        typer.echo("envsnap: note: build with " + " ".join(f"--build-arg {k}=<U+{ord(v):04X}>"
                                                             for k, v in ctx.build_args.items()), err=True)
    typer.echo(f"wrote {output}/Dockerfile (base {ctx.base_image})", err=True)


@app.command()
def build(
    manifest: Path = typer.Argument(..., help="Manifest file (or snapshot folder)."),
    tag: Optional[str] = typer.Option(None, "--tag", "-t", help="Image tag (default: envsnap/replay:<build-context digest>)."),
    base_image: Optional[str] = typer.Option(None, "--base-image", help="Use this base image instead of the chosen one."),
    wheelhouse: bool = typer.Option(False, "--wheelhouse", help="Bundle every artifact (air-gapped build)."),
    ca_bundle: Optional[Path] = typer.Option(None, "--ca-bundle", help="PEM bundle pip trusts during the build only."),
    save: Optional[Path] = typer.Option(None, "--save", help="Save the base and built images into this tar."),
    context: Optional[Path] = typer.Option(None, "--context", help="Build-context folder (default: envsnap's cache)."),
    engine: Optional[str] = typer.Option(None, "--engine", help=ENGINE_HELP),
) -> None:
    """Build the pinned image of a manifest."""
    from ..build.pipeline import BuildOptions, build_image, read_ca_bundle
    from ..engines import get_engine
    from ..fsutil import check_writable
    from ..snapshot import read_snapshot
    from .render import EventRenderer

    if save is not None:
        check_writable(save, force=True)
    opts = BuildOptions(base_image=base_image, ca_bundle=read_ca_bundle(ca_bundle), wheelhouse=wheelhouse)
    m = read_snapshot(manifest).manifest
    eng = get_engine(engine)
    with EventRenderer() as show:
        res = build_image(m, eng, opts, tag=tag, context_dir=context, save=save, on_event=show)
    how = " (reused: nothing changed)" if res.reused else " from cache" if res.image.cached else ""
    typer.echo(f"built {res.image.tag} ({res.image.id[:19]}){how}; context {res.context_dir}"
               + (f"; saved {res.saved}" if res.saved else ""), err=True)
    typer.echo(res.image.tag)
