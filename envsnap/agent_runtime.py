"""Ship the stdlib-only agent (envsnap/agent) to any interpreter as a zipapp, and run it.

The target interpreter — a venv, a conda env, the python inside a container — needs no
envsnap installed: ``python agent.pyz capture`` runs there with only the target's own
packages on sys.path (the zip holds ``envsnap_agent`` and its bundled pure-Python helpers,
nothing that could shadow the user's packages).
"""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Mapping, Optional, Protocol, Sequence

from .errors import InterpreterError

# Pure-Python single-module helpers copied from envsnap's own environment into the zip.
_VENDORED = ("threadpoolctl", "pynvml")
_FIXED_DATE = (2020, 1, 1, 0, 0, 0)  # deterministic zip bytes


def _agent_sources() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    root = resources.files("envsnap") / "agent"

    def walk(node, rel: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            name = f"{rel}/{child.name}"
            if child.is_dir():
                if child.name != "__pycache__":
                    walk(child, name)
            elif child.name.endswith(".py"):
                files[f"envsnap_agent{name}"] = child.read_bytes()

    walk(root, "")
    files["envsnap_agent/_vendor/__init__.py"] = b""
    import importlib

    for mod in _VENDORED:
        try:
            m = importlib.util.find_spec(mod)
        except (ImportError, ValueError):
            m = None
        if m is not None and m.origin and m.origin.endswith(".py"):
            files[f"envsnap_agent/_vendor/{mod}.py"] = Path(m.origin).read_bytes()
    files["__main__.py"] = b"import sys\nfrom envsnap_agent.__main__ import main\nsys.exit(main())\n"
    return files


def agent_zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(_agent_sources().items()):
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def build_agent_zip(directory: Optional[Path] = None) -> Path:
    """Write the agent zipapp (content-addressed, so reuse is safe) and return its path."""
    data = agent_zip_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    directory = directory or Path(tempfile.gettempdir()) / f"envsnap-agent-{os.getuid() if hasattr(os, 'getuid') else 0}"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"agent-{digest}.pyz"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return path


@dataclass(frozen=True)
class AgentOutput:
    returncode: int
    stdout: str
    stderr: str


class AgentRunner(Protocol):
    """Runs ``python agent.pyz ARGS`` somewhere (locally, in a container) and returns the output."""

    def __call__(self, args: Sequence[str], *, timeout: float) -> AgentOutput: ...

    @property
    def description(self) -> str: ...


def resolve_python(python: Optional[str]) -> str:
    """The interpreter to capture: --python, else `python` (then `python3`) on PATH."""
    import shutil

    if python:
        candidate = os.path.expanduser(python)
        found = shutil.which(candidate) if os.sep not in candidate else candidate
        if not found or not os.path.exists(found):
            raise InterpreterError(f"--python {python}: no such interpreter")
        if os.path.isdir(found) or not os.access(found, os.X_OK):
            raise InterpreterError(f"--python {python}: not an executable interpreter")
        return found
    for name in ("python", "python3"):
        found = shutil.which(name)
        if found:
            return found
    raise InterpreterError("no `python` on PATH; name one with --python")


class LocalRunner:
    """Runs the agent with a local interpreter, in a given working directory and environment."""

    def __init__(self, python: str, *, cwd: Optional[str] = None, env: Optional[Mapping[str, str]] = None) -> None:
        self.python = python
        self.cwd = cwd
        self.env = dict(env) if env is not None else None
        self._zip = build_agent_zip()

    @property
    def description(self) -> str:
        return self.python

    def __call__(self, args: Sequence[str], *, timeout: float) -> AgentOutput:
        try:
            res = subprocess.run(
                [self.python, str(self._zip), *args], cwd=self.cwd, env=self.env,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise InterpreterError(f"{self.python}: the envsnap agent did not finish within {timeout:.0f} s") from None
        except OSError as exc:
            raise InterpreterError(f"{self.python}: cannot run: {exc.strerror or exc}") from None
        return AgentOutput(res.returncode, res.stdout.decode("utf-8", "replace"), res.stderr.decode("utf-8", "replace"))
