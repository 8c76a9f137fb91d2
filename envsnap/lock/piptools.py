"""Hashes through pip-tools: ``pip-compile --generate-hashes`` over the exact pins.

Every pin is exact, so the resolver only confirms the set; what we take from it is the hash
list of each pinned release on the index it came from. pip-compile runs isolated from the
user's pip configuration (the manifest says which indexes to use) but keeps the TLS settings
(PIP_CERT, SSL_CERT_FILE) a proxy needs.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ..errors import EnvsnapError
from ..pkgname import normalize
from ..redact import scrub_text

_ISOLATE = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_CONSTRAINT",
            "PIP_REQUIREMENT", "PIP_REQUIRE_VIRTUALENV")
TIMEOUT_S = 900.0


def parse_hashed_requirements(text: str) -> Dict[str, tuple[str, List[str]]]:
    """name -> (version, ["sha256:..."]) from a pip-compile output."""
    joined = re.sub(r"\\\s*\n", " ", text)
    out: Dict[str, tuple[str, List[str]]] = {}
    for line in joined.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        tokens = line.split()
        m = re.match(r"^([A-Za-z0-9._\-]+)(?:\[[^\]]*\])?==([^\s;]+)", tokens[0])
        if not m:
            continue
        hashes = sorted(t.split("=", 1)[1] for t in tokens[1:] if t.startswith("--hash="))
        out[normalize(m.group(1))] = (m.group(2), hashes)
    return out


def compile_hashes(
    pins: Sequence[tuple[str, str]],
    *,
    index_url: Optional[str],
    extra_index_urls: Sequence[str],
    find_links: Sequence[str],
) -> Dict[str, tuple[str, List[str]]]:
    """Run pip-compile over ``name==version`` pins; return name -> (version, hashes)."""
    if not pins:
        return {}
    with tempfile.TemporaryDirectory(prefix="envsnap-lock-") as tmp:
        req_in = Path(tmp) / "requirements.in"
        req_out = Path(tmp) / "requirements.txt"
        req_in.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins)))
        cmd = [sys.executable, "-m", "piptools", "compile", "--quiet", "--generate-hashes", "--allow-unsafe",
               "--no-header", "--no-annotate", "--strip-extras", "--no-emit-index-url", "--no-emit-find-links",
               "--no-emit-trusted-host", "-o", str(req_out), str(req_in)]
        if index_url:
            cmd += ["--index-url", index_url]
        else:
            cmd += ["--no-index"]
        for u in extra_index_urls:
            cmd += ["--extra-index-url", u]
        for f in find_links:
            cmd += ["--find-links", f]
        env = {k: v for k, v in os.environ.items() if k not in _ISOLATE}
        env["PIP_CONFIG_FILE"] = os.devnull
        try:
            res = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 env=env, timeout=TIMEOUT_S, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise EnvsnapError(f"pip-compile did not finish within {TIMEOUT_S:.0f} s") from None
        log = scrub_text(res.stdout.decode("utf-8", "replace"))
        if res.returncode != 0:
            tail = [ln for ln in log.splitlines() if ln.strip()][-15:]
            culprit = next((ln for ln in reversed(tail) if "ERROR" in ln or "No matching distribution" in ln), None)
            raise EnvsnapError(
                "pip-compile could not hash the pinned packages" + (f": {culprit.strip()}" if culprit else ""),
                detail="\n".join(tail),
            )
        return parse_hashed_requirements(req_out.read_text())
