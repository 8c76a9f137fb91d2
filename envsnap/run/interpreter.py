"""Which Python interpreter will the user's command run? (Its environment is what we capture.)"""
from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path
from typing import Mapping, Optional, Sequence

_PYTHON_NAME = re.compile(r"python(\d+(\.\d+)?)?(\.exe)?")


def _shebang_python(path: Path, env_path: Optional[str]) -> Optional[str]:
    try:
        with open(path, "rb") as fh:
            first = fh.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    parts = shlex.split(first[2:].decode("utf-8", "replace").strip())
    if not parts:
        return None
    if os.path.basename(parts[0]) == "env":
        parts = [p for p in parts[1:] if not p.startswith("-")]
        if not parts:
            return None
        found = shutil.which(parts[0], path=env_path)
        return found if found and _PYTHON_NAME.fullmatch(os.path.basename(parts[0])) else None
    return parts[0] if _PYTHON_NAME.fullmatch(os.path.basename(parts[0])) else None


def command_python(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> Optional[str]:
    """``python ...`` -> that python; a script or console entry point -> its shebang's python."""
    if not argv:
        return None
    first = argv[0]
    env_path = env.get("PATH")
    exe = (
        (str(cwd / first) if os.sep in first and not os.path.isabs(first) else first)
        if os.sep in first
        else shutil.which(first, path=env_path)
    )
    if exe is None:
        return None
    if _PYTHON_NAME.fullmatch(os.path.basename(first)):
        return exe
    return _shebang_python(Path(exe), env_path)
