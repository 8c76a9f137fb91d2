"""JSON report of a diff result: deterministic, scrubbed, schema in envsnap/schema/diff.schema.json.

Top level: ``{"schema_version": 1, "kind": "outputs" | "env" | "snapshot", "verdict": ...,
"exit_code": 0|1, ...}``; the fields are those of OutputsDiff / EnvDiff / SnapshotDiff in
envsnap/diff/results.py. Non-finite numbers are the strings "Infinity", "-Infinity", "NaN".
Regenerate the schema with ``python -m envsnap.report.diff_json``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Union

from pydantic import BaseModel, TypeAdapter

from ..diff.results import REPORT_SCHEMA_VERSION, EnvDiff, OutputsDiff, SnapshotDiff
from ..redact import Redactor

DiffResult = Union[OutputsDiff, EnvDiff, SnapshotDiff]
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "diff.schema.json"


def to_data(result: BaseModel) -> Dict[str, Any]:
    data = json.loads(result.model_dump_json())
    return Redactor().obj({"schema_version": REPORT_SCHEMA_VERSION, **data})


def render_json(result: BaseModel) -> str:
    return json.dumps(to_data(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_NON_FINITE = {"enum": ["Infinity", "-Infinity", "NaN"]}


def _allow_non_finite(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("type") == "number":
            rest = {k: v for k, v in node.items() if k != "type"}
            return {**rest, "anyOf": [{"type": "number"}, _NON_FINITE]}
        return {k: _allow_non_finite(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_allow_non_finite(v) for v in node]
    return node


def report_schema() -> Dict[str, Any]:
    schema = _allow_non_finite(TypeAdapter(DiffResult).json_schema(mode="serialization"))
    for name in ("OutputsDiff", "EnvDiff", "SnapshotDiff"):
        schema["$defs"][name]["properties"]["schema_version"] = {"type": "integer", "const": REPORT_SCHEMA_VERSION}
    schema["title"] = "envsnap diff report"
    schema["description"] = (
        "Output of `envsnap diff --json`. Every report also has schema_version (integer, currently "
        f"{REPORT_SCHEMA_VERSION}). Non-finite numbers are the strings Infinity, -Infinity, NaN."
    )
    return schema


def schema_text() -> str:
    return json.dumps(report_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text())
    print(f"wrote {SCHEMA_PATH}")
