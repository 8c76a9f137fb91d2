"""Two output folders (or two files): files paired by relative path, missing and extra reported."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from ..errors import InputError
from .files import compare_files
from .results import FileDiff, OutputsDiff, Verdict

IGNORED_NAMES = {".DS_Store", "__pycache__"}


def _files(root: Path) -> List[str]:
    out = []
    for p in root.rglob("*"):
        rel = p.relative_to(root)
        if any(part in IGNORED_NAMES for part in rel.parts) or not p.is_file():
            continue
        out.append(rel.as_posix())
    return sorted(out)


def _tolerance_source(rtol: Optional[float], atol: Optional[float]) -> str:
    if rtol is None and atol is None:
        return "defaults per dtype (torch.testing)"
    given = " ".join(f"{k}={v:g}" for k, v in (("rtol", rtol), ("atol", atol)) if v is not None)
    return f"user: {given}" + ("" if rtol is not None and atol is not None else " (other: dtype default)")


def diff_outputs(a: Path, b: Path, *, rtol: Optional[float] = None, atol: Optional[float] = None) -> OutputsDiff:
    """Compare two files or two folders of outputs."""
    a, b = Path(a), Path(b)
    for p in (a, b):
        if not p.exists():
            raise InputError(p, "no such file or folder")
    src = _tolerance_source(rtol, atol)
    if a.is_dir() != b.is_dir():
        folder, other = (a, b) if a.is_dir() else (b, a)
        raise InputError(other, f"is a file but {folder} is a folder: give two files or two folders")
    if not a.is_dir():
        fd = compare_files(a, b, rtol=rtol, atol=atol, strict=True)
        return OutputsDiff(a=str(a), b=str(b), files=[fd], tolerance_source=src)
    fa, fb = _files(a), _files(b)
    names = sorted(set(fa) | set(fb))
    set_a, set_b = set(fa), set(fb)
    files: List[FileDiff] = []
    for rel in names:
        if rel not in set_b or rel not in set_a:
            side = "a" if rel in set_a else "b"
            files.append(FileDiff(path=rel, verdict=Verdict.STRUCTURAL_MISMATCH, bytes_equal=False,
                                  only_in=side, note=f"only in {side.upper()}"))  # type: ignore[arg-type]
            continue
        files.append(compare_files(a / rel, b / rel, name=rel, rtol=rtol, atol=atol, strict=False))
    return OutputsDiff(a=str(a), b=str(b), files=files, tolerance_source=src)
