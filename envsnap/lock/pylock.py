"""PEP 751 pylock.toml from the locked packages (deterministic key and array order)."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

import tomli_w

from .artifacts import IndexFile
from .model import LockedPackage


def _hashes(hs: Sequence[str]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for h in hs:
        algo, _, value = h.partition(":")
        out.setdefault(algo, value)
    return out


def render_pylock(
    packages: Sequence[LockedPackage],
    *,
    python_version: Optional[str],
    inputs_sha256: str,
    files: Mapping[str, Sequence[IndexFile]],
) -> tuple[str, List[str]]:
    """Return (pylock.toml text, warnings). ``files``: index files per package name."""
    warnings: List[str] = []
    entries: List[Dict[str, Any]] = []
    for p in sorted(packages, key=lambda p: p.name):
        entry: Dict[str, Any] = {"name": p.name, "version": p.version}
        if p.kind == "index" and p.index_url:
            entry["index"] = p.index_url
        if p.kind == "wheelhouse" and p.filename:
            key = "wheels" if p.filename.endswith(".whl") else "sdist"
            art = {"name": p.filename, "path": f"wheelhouse/{p.filename}", "hashes": _hashes(p.hashes)}
            entry[key] = [art] if key == "wheels" else art
        elif p.kind == "url" and p.url:
            entry["archive"] = {"url": p.url, "hashes": _hashes(p.hashes)}
        else:
            by_hash = {f"sha256:{f.sha256}": f for f in files.get(p.name, ()) if f.sha256}
            wheels, sdist = [], None
            for h in p.hashes:
                f = by_hash.get(h)
                if f is None:
                    warnings.append(f"pylock.toml: {p.name}=={p.version}: no index file known for {h}")
                    continue
                art = {"name": f.filename, "url": f.url, "hashes": _hashes([h])}
                if f.filename.endswith(".whl"):
                    wheels.append(art)
                else:
                    sdist = art
            if sdist:
                entry["sdist"] = sdist
            if wheels:
                entry["wheels"] = sorted(wheels, key=lambda a: a["name"])
        entries.append(entry)
    doc: Dict[str, Any] = {"lock-version": "1.0", "created-by": "envsnap"}
    if python_version:
        doc["requires-python"] = f"=={python_version}"
    doc["packages"] = entries
    doc["tool"] = {"envsnap": {"inputs-sha256": inputs_sha256}}
    return tomli_w.dumps(doc), warnings
