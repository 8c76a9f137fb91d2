"""The typer application and the options several command groups share."""
from __future__ import annotations

from typing import List, Optional

import typer

from .. import __version__

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


ENGINE_HELP = "Container engine: docker (default: $ENVSNAP_ENGINE, else docker)."


def print_warnings(warnings: List[str]) -> None:
    for w in warnings:
        typer.echo(f"envsnap: warning: {w}", err=True)


def engine_option() -> Optional[str]:
    return typer.Option(None, "--engine", help=ENGINE_HELP)
