"""Reading and writing envsnap documents: deterministic bytes, scrubbed, versioned.

Every document written goes through :func:`dumps` (sorted keys, fixed indentation, trailing
newline, the secret scrubber) and every read through :func:`load_model`, which names the file
in each error: truncated JSON, a foreign document, a newer schema.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Type, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InputError
from .fsutil import write_text_atomic
from .model import SCHEMA_VERSION, Manifest, RunRecord
from .redact import Redactor

M = TypeVar("M", bound=BaseModel)


def to_jsonable(model: BaseModel, redactor: Redactor | None = None) -> Any:
    data = model.model_dump(mode="json")
    return (redactor or Redactor()).obj(data)


def dumps(model: BaseModel, redactor: Redactor | None = None) -> str:
    return json.dumps(to_jsonable(model, redactor), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def manifest_sha256(manifest: Manifest) -> str:
    """The digest of a manifest's document bytes (what labels and reports name it by)."""
    return hashlib.sha256(dumps(manifest).encode("utf-8")).hexdigest()


def save(model: BaseModel, path: Path | str, *, force: bool = True, redactor: Redactor | None = None) -> Path:
    return write_text_atomic(path, dumps(model, redactor), force=force)


def _read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, expected a JSON file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise InputError(path, "is empty")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise InputError(path, "is not a text file (expected envsnap JSON)") from None
    except json.JSONDecodeError as exc:
        end = "truncated" if exc.pos >= len(raw.rstrip()) - 1 else "malformed"
        raise InputError(path, f"is not valid JSON ({end} at line {exc.lineno} column {exc.colno})") from None


def load_model(path: Path | str, cls: Type[M], *, kind: str) -> M:
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, dict) or "schema_version" not in data:
        raise InputError(path, f"is not an envsnap {kind} (no schema_version)")
    version = data.get("schema_version")
    if not isinstance(version, int):
        raise InputError(path, f"has an invalid schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise InputError(
            path,
            f"has schema_version {version}, newer than this envsnap understands ({SCHEMA_VERSION}); upgrade envsnap",
        )
    if version < 1:
        raise InputError(path, f"has an unknown schema_version {version}")
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InputError(path, f"is not a valid envsnap {kind}: {where or 'document'}: {first.get('msg')}") from None


def load_manifest(path: Path | str) -> Manifest:
    """A manifest file (snapshot folders are read by envsnap.snapshot.read_snapshot)."""
    return load_model(path, Manifest, kind="manifest")


def load_run(path: Path | str) -> RunRecord:
    return load_model(path, RunRecord, kind="run record")


def manifest_json_schema() -> dict:
    return Manifest.model_json_schema()
