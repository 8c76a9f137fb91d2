"""The thin typer layer: parse options, call one function, render its events and result.

One module per command group; ``main`` is the only place errors become exit codes:
0 same / success, 1 differences found, 2 error (one line on stderr, no traceback).
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional

import click
import typer

from ..errors import EnvsnapError
from . import build, capture, diff, run  # noqa: F401  (each registers its commands on the app)
from .app import app


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
        typer.echo(f"envsnap: internal error: {type(exc).__name__}: {exc} (set ENVSNAP_DEBUG=1 for a traceback)",
                   err=True)
        sys.exit(2)
    sys.exit(rc if isinstance(rc, int) else 0)


__all__ = ["app", "main"]
