"""Readers for the numeric formats a training run writes, each returning named ``ArrayRef``s.

Raw-layout formats (.npy, .safetensors) are memory-mapped and parsed by header only, so a
multi-GiB file costs nothing until a chunk is compared. .pt/.pth go through
``torch.load(weights_only=True)``: PyTorch's restricted unpickler refuses any object that is
not a tensor or a plain container, so a malicious pickle is rejected, never executed; nothing
else in envsnap unpickles. Every failure is an ``InputError`` naming the file.
"""
from __future__ import annotations

import csv
import io
import json
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..errors import InputError
from .numeric import ArrayRef

EXTENSIONS = {
    ".npy": "npy",
    ".npz": "npz",
    ".safetensors": "safetensors",
    ".pt": "pt",
    ".pth": "pt",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
}
RAW_LAYOUT = {"npy", "safetensors"}
TABULAR = {"jsonl", "csv"}
STEP_KEYS = ("step", "global_step", "iteration", "iter", "epoch")


@dataclass(frozen=True)
class Table:
    """A tabular file (metrics.jsonl, CSV): an index column and numeric columns."""

    index: str  # "step" (or the name found) / "row"
    steps: List[float]
    columns: Dict[str, List[Optional[float]]]  # name -> values aligned with steps (None: not logged)
    text_columns: Dict[str, List[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Loaded:
    format: str
    arrays: Dict[str, ArrayRef] = field(default_factory=dict)
    table: Optional[Table] = None


def detect_format(path: Path) -> Optional[str]:
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt:
        return fmt
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    return None


def load(path: Path, fmt: Optional[str] = None) -> Loaded:
    fmt = fmt or detect_format(path)
    if fmt is None:
        known = ", ".join(sorted(set(EXTENSIONS)))
        raise InputError(path, f"unknown format (expected one of {known}, or a folder)")
    if not path.is_file():
        raise InputError(path, "no such file")
    reader = {
        "npy": _npy,
        "npz": _npz,
        "safetensors": _safetensors,
        "pt": _torch,
        "json": _json,
        "jsonl": _jsonl,
        "csv": _csv,
    }[fmt]
    try:
        return reader(path)
    except InputError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, struct.error) as exc:
        raise InputError(path, f"cannot read as .{fmt}: {exc}") from None


# --- raw layouts ---------------------------------------------------------------------------

def _memmap(path: Path, dtype: np.dtype, offset: int, count: int) -> "callable":
    def load() -> np.ndarray:
        if count == 0:
            return np.empty(0, dtype=dtype)
        return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=(count,))

    return load


def _npy(path: Path) -> Loaded:
    size = path.stat().st_size
    with path.open("rb") as fh:
        try:
            major, _ = np.lib.format.read_magic(fh)
            if major == 1:
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        except ValueError as exc:
            raise InputError(path, f"not a valid .npy file ({exc})") from None
        offset = fh.tell()
    if dtype.hasobject:
        raise InputError(path, "holds Python objects (a pickle); refusing to load it")
    if dtype.fields is not None:
        raise InputError(path, f"structured dtype {dtype} is not supported")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    need = offset + count * dtype.itemsize
    if size < need:
        raise InputError(path, f"truncated: the header declares {need - offset} data bytes, the file holds {size - offset}")
    logical, storage = _numpy_dtype(dtype)
    ref = ArrayRef(name="", dtype=logical, shape=tuple(shape), load=_memmap(path, storage, offset, count),
                   offset=offset, order="F" if fortran and len(shape) > 1 else "C")
    return Loaded("npy", {"": ref})


def _numpy_dtype(dtype: np.dtype) -> Tuple[str, np.dtype]:
    return ("bool" if dtype.kind == "b" else dtype.name), dtype


_ST_DTYPES = {
    "F64": ("float64", "<f8"), "F32": ("float32", "<f4"), "F16": ("float16", "<f2"),
    "BF16": ("bfloat16", "<u2"), "I64": ("int64", "<i8"), "I32": ("int32", "<i4"),
    "I16": ("int16", "<i2"), "I8": ("int8", "i1"), "U64": ("uint64", "<u8"), "U32": ("uint32", "<u4"),
    "U16": ("uint16", "<u2"), "U8": ("uint8", "u1"), "BOOL": ("bool", "?"),
    "F8_E4M3": ("float8_e4m3fn", "V1"), "F8_E5M2": ("float8_e5m2", "V1"),
}


def _safetensors(path: Path) -> Loaded:
    """Parsed from the header (8-byte little-endian length + JSON) and memory-mapped: the
    safetensors library would read whole tensors into memory."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise InputError(path, "truncated: shorter than the 8-byte safetensors header length")
        (n,) = struct.unpack("<Q", head)
        if n > size - 8:
            raise InputError(path, f"truncated or not safetensors: header of {n} bytes, file of {size}")
        try:
            header = json.loads(fh.read(n))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InputError(path, "not a valid safetensors file (header is not JSON)") from None
    if not isinstance(header, dict):
        raise InputError(path, "not a valid safetensors file (header is not a JSON object)")
    base, data_len = 8 + n, size - 8 - n
    arrays: Dict[str, ArrayRef] = {}
    for name in sorted(header):
        info = header[name]
        if name == "__metadata__":
            arrays[name] = ArrayRef(name=name, dtype="str", shape=(), load=lambda: np.empty(0),
                                    text=json.dumps(info, sort_keys=True))
            continue
        try:
            st_dtype, shape, (start, end) = info["dtype"], tuple(int(x) for x in info["shape"]), info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise InputError(path, f"not a valid safetensors file (bad entry for tensor {name!r})") from None
        if st_dtype not in _ST_DTYPES:
            raise InputError(path, f"tensor {name!r} has unsupported dtype {st_dtype}")
        logical, storage = _ST_DTYPES[st_dtype]
        dt = np.dtype(storage)
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if end > data_len:
            raise InputError(path, f"truncated: tensor {name!r} ends at byte {end} of a {data_len}-byte data section")
        if end - start != count * dt.itemsize:
            raise InputError(path, f"not a valid safetensors file (tensor {name!r} size does not match its shape)")
        arrays[name] = ArrayRef(name=name, dtype=logical, shape=shape, load=_memmap(path, dt, base + start, count),
                                offset=base + start)
    return Loaded("safetensors", arrays)


# --- containers loaded per array ------------------------------------------------------------

def _npz(path: Path) -> Loaded:
    try:
        npz = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        raise InputError(path, f"not a valid .npz file (truncated or corrupt: {exc})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise InputError(path, "not a .npz archive")
    arrays: Dict[str, ArrayRef] = {}
    for name in sorted(npz.files):
        # Header only now; the member is decompressed when compared (one pair at a time).
        try:
            with npz.zip.open(f"{name}.npy") as member:
                major, _ = np.lib.format.read_magic(member)
                reader = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
                shape, fortran, dtype = reader(member)
        except (KeyError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise InputError(path, f"member {name!r} is not a valid array ({exc})") from None
        if dtype.hasobject:
            raise InputError(path, f"member {name!r} holds Python objects (a pickle); refusing to load it")
        logical, _ = _numpy_dtype(dtype)
        order = "F" if fortran and len(shape) > 1 else "C"

        def loader(name: str = name, order: str = order) -> np.ndarray:
            try:
                return np.ravel(npz[name], order=order)
            except (ValueError, zipfile.BadZipFile, EOFError, OSError) as exc:
                raise InputError(path, f"member {name!r} cannot be read (truncated or corrupt: {exc})") from None

        arrays[name] = ArrayRef(name=name, dtype=logical, shape=tuple(shape), load=loader, order=order)
    return Loaded("npz", arrays)


def _torch(path: Path) -> Loaded:
    try:
        import torch
    except ImportError:
        raise InputError(path, "reading .pt/.pth files needs PyTorch (pip install torch)") from None
    import pickle
    import warnings

    try:
        with warnings.catch_warnings():  # e.g. "pickle protocol 4": the one error line is enough
            warnings.simplefilter("ignore")
            obj = _torch_load(torch, path)
    except pickle.UnpicklingError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if "WeightsUnpickler error" in ln or "Unsupported" in ln]
        first = (lines[0].replace("WeightsUnpickler error: ", "").split(". ")[0] if lines else "unsupported object")
        raise InputError(
            path, f"refused: holds objects other than tensors (loaded with weights_only=True, never unpickled): {first}"
        ) from None
    except (RuntimeError, EOFError, ValueError, OSError, zipfile.BadZipFile) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(path, f"not a readable PyTorch file (truncated or corrupt: {first})") from None
    arrays: Dict[str, ArrayRef] = {}
    _flatten_torch(obj, "", arrays, torch)
    return Loaded("pt", arrays)


def _torch_load(torch: Any, path: Path) -> Any:
    """weights_only=True always: PyTorch's restricted unpickler, never the pickle module's."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError as exc:
        if "mmap" not in str(exc):
            raise
    return torch.load(path, map_location="cpu", weights_only=True)  # legacy (non-zip) format


def _flatten_torch(obj: Any, prefix: str, out: Dict[str, ArrayRef], torch: Any) -> None:
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        logical = str(t.dtype).replace("torch.", "")
        if t.dtype == torch.bfloat16:
            def load(t: Any = t) -> np.ndarray:
                return t.view(torch.int16).numpy().view(np.uint16).reshape(-1)
        elif logical.startswith("float8"):
            def load(t: Any = t) -> np.ndarray:
                return t.view(torch.uint8).numpy().view("V1").reshape(-1)
        else:
            def load(t: Any = t) -> np.ndarray:
                return t.numpy().reshape(-1)
        out[prefix] = ArrayRef(name=prefix, dtype="bool" if t.dtype == torch.bool else logical,
                               shape=tuple(t.shape), load=load)
    elif isinstance(obj, dict):
        for k in sorted(obj, key=str):
            _flatten_torch(obj[k], f"{prefix}.{k}" if prefix else str(k), out, torch)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _flatten_torch(v, f"{prefix}[{i}]", out, torch)
    else:
        _leaf(obj, prefix, out)


# --- text formats --------------------------------------------------------------------------

def _leaf(value: Any, name: str, out: Dict[str, ArrayRef]) -> None:
    if isinstance(value, bool):
        arr = np.array([value])
        out[name] = ArrayRef(name=name, dtype="bool", shape=(), load=lambda a=arr: a)
    elif isinstance(value, (int, float)) and not (isinstance(value, int) and abs(value) >= 2**63):
        arr = np.array([value], dtype=np.float64 if isinstance(value, float) else np.int64)
        out[name] = ArrayRef(name=name, dtype=arr.dtype.name, shape=(), load=lambda a=arr: a)
    else:
        out[name] = ArrayRef(name=name, dtype="str", shape=(), load=lambda: np.empty(0),
                             text=json.dumps(value, sort_keys=True, default=str))


def _numeric_block(value: list) -> Optional[np.ndarray]:
    """A rectangular list of numbers as one array (float64 when any float), else None."""
    try:
        arr = np.array(value)
    except (ValueError, OverflowError):
        return None
    if arr.dtype.kind not in "iuf" or arr.size == 0:
        return None
    return arr.astype(np.float64) if arr.dtype.kind == "f" else arr.astype(np.int64)


def _flatten_json(value: Any, prefix: str, out: Dict[str, ArrayRef]) -> None:
    if isinstance(value, dict):
        if not value:
            _leaf(value, prefix, out)
        for k in sorted(value):
            _flatten_json(value[k], f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list):
        block = _numeric_block(value) if value and not any(isinstance(v, bool) for v in _walk(value)) else None
        if block is not None:
            flat = block.reshape(-1)
            out[prefix] = ArrayRef(name=prefix, dtype=block.dtype.name, shape=block.shape, load=lambda f=flat: f)
        elif not value:
            _leaf(value, prefix, out)
        else:
            for i, v in enumerate(value):
                _flatten_json(v, f"{prefix}[{i}]", out)
    else:
        _leaf(value, prefix, out)


def _walk(value: Any):
    if isinstance(value, list):
        for v in value:
            yield from _walk(v)
    else:
        yield value


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(path, "is not UTF-8 text") from None


def _json(path: Path) -> Loaded:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"is not valid JSON (line {exc.lineno} column {exc.colno})") from None
    arrays: Dict[str, ArrayRef] = {}
    _flatten_json(data, "", arrays)
    return Loaded("json", arrays)


def _jsonl(path: Path) -> Loaded:
    records: List[Any] = []
    for lineno, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(path, f"line {lineno} is not valid JSON (column {exc.colno})") from None
    if records and all(isinstance(r, dict) for r in records):
        return Loaded("jsonl", table=_table(records))
    arrays: Dict[str, ArrayRef] = {}
    _flatten_json(records, "", arrays)
    return Loaded("jsonl", arrays)


def _csv(path: Path) -> Loaded:
    text = _read_text(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        return Loaded("csv", table=Table(index="row", steps=[], columns={}))
    header, body = rows[0], rows[1:]
    records = []
    for row in body:
        if not any(cell.strip() for cell in row):
            continue
        records.append({h: _cell(row[i]) if i < len(row) else None for i, h in enumerate(header)})
    return Loaded("csv", table=_table(records))


def _cell(text: str) -> Any:
    s = text.strip()
    if s == "":
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return text


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _table(records: List[Dict[str, Any]]) -> Table:
    """Align records on their step column (last record wins for a repeated step and metric)."""
    keys: List[str] = []
    for r in records:
        keys.extend(k for k in r if k not in keys)
    index = next((k for k in keys if k.lower() in STEP_KEYS and all(_is_number(r.get(k)) for r in records)), None)
    rows: Dict[float, Dict[str, Any]] = {}
    for i, r in enumerate(records):
        step = float(r[index]) if index else float(i)
        rows.setdefault(step, {}).update(r)
    steps = sorted(rows)
    columns: Dict[str, List[Optional[float]]] = {}
    text_columns: Dict[str, List[str]] = {}
    for k in keys:
        if k == index:
            continue
        values = [rows[s].get(k) for s in steps]
        if all(v is None or _is_number(v) for v in values):
            columns[k] = [None if v is None else float(v) for v in values]
        else:
            text_columns[k] = ["" if v is None else str(v) for v in values]
    return Table(index="step" if index else "row", steps=steps, columns=columns, text_columns=text_columns)


def is_manifest_json(path: Path) -> bool:
    """A JSON object with schema_version and an envsnap section. Keys are sorted in manifests, so
    schema_version comes last: the document is parsed (manifests are small; larger files are data)."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        if path.stat().st_size > 64 << 20:
            return False
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "schema_version" in data and isinstance(data.get("envsnap"), dict)
