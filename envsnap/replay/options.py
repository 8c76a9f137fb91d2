"""Typed replay options and the small parsers behind the CLI flags."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional, Sequence

from ..build.pipeline import BuildOptions
from ..errors import UsageError

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: Optional[str]) -> Optional[float]:
    """'2h', '90m', '1h30m', '45s', '30' (seconds) -> seconds."""
    if text is None:
        return None
    s = text.strip().lower().replace(" ", "")
    pos, total = 0, 0.0
    while pos < len(s):
        m = _DURATION.match(s, pos)
        if not m or m.end() == pos:
            raise UsageError(f"--timeout {text!r}: expected a duration like 2h, 90m, 1h30m or 45s")
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    if not s or total <= 0:
        raise UsageError(f"--timeout {text!r}: must be a positive duration")
    return total


def parse_env(items: Sequence[str]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise UsageError(f"--env {item!r}: expected NAME=VALUE")
        out[name] = value
    return out


@dataclass(frozen=True)
class ReplayOptions:
    gpus: str = "all"  # all | none | 0,1
    network: Optional[str] = None  # e.g. "none"
    data_dir: Optional[Path] = None
    allow_data_change: bool = False
    rtol: Optional[float] = None
    atol: Optional[float] = None
    timeout_s: Optional[float] = None
    build: BuildOptions = field(default_factory=BuildOptions)
    env: Dict[str, str] = field(default_factory=dict)  # overrides (what-if experiments)
    code_dir: Optional[Path] = None
    probes: bool = True
    force: bool = False
