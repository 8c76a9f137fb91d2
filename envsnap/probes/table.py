"""Rendering probe results: a rich table for people, plain JSON for machines."""
from __future__ import annotations

import json
from typing import Any, Dict

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..model import Probes
from ..redact import Redactor


def probes_table(probes: Probes, *, title: str = "float-precision probes") -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("probe", no_wrap=True)
    table.add_column("result")
    table.add_column("fingerprint", no_wrap=True)
    table.add_column("stable", justify="center")
    table.add_column("ms", justify="right")
    for r in probes.results:
        if r.status == "ok":
            result = Text(r.value or "")
        elif r.status == "skipped":
            result = Text(f"skipped: {r.reason}", style="dim")
        else:
            result = Text(f"failed: {r.reason}", style="red")
        stable = "" if r.stable is None else ("yes" if r.stable else Text("NO", style="bold yellow"))
        table.add_row(r.id, result, (r.fingerprint or "")[:12], stable, "" if r.ms is None else f"{r.ms:.1f}")
    return table


def probes_report(probes: Probes, flags: Dict[str, Any], *, description: str) -> Group:
    """The table and a summary line (the CLI prints it)."""
    counts = {s: sum(r.status == s for r in probes.results) for s in ("ok", "skipped", "failed")}
    summary = Text(f"{counts['ok']} ok, {counts['skipped']} skipped, {counts['failed']} failed; "
                   f"{len(flags)} framework flags recorded (--json shows them)", style="dim")
    return Group(probes_table(probes, title=f"float-precision probes: {description}"), summary)


def dumps_json(probes: Probes, flags: Dict[str, Any]) -> str:
    doc = {"probes": probes.model_dump(mode="json"), "flags": flags}
    return json.dumps(Redactor().obj(doc), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
