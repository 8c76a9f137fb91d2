"""Ship the stdlib-only agent (envsnap/agent) to any interpreter, and run it.

The target interpreter — a venv, a conda env, the python inside a container — needs no
envsnap installed: ``python AGENT capture`` runs there with only the target's own packages
on sys.path. AGENT is a content-addressed directory holding ``__main__.py``, the package
``envsnap_agent`` and its bundled pure-Python helpers: nothing that could shadow the user's
packages. A directory rather than a zipapp, because the target python caches the agent's
bytecode there (a zipapp is recompiled on every run); a container mounts it read-only.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Mapping, Optional, Protocol, Sequence

from .errors import InterpreterError

# Pure-Python single-module helpers copied from envsnap's own environment into the agent.
_VENDORED = ("threadpoolctl", "pynvml")


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
    for mod in _VENDORED:
        try:
            m = importlib.util.find_spec(mod)
        except (ImportError, ValueError):
            m = None
        if m is not None and m.origin and m.origin.endswith(".py"):
            files[f"envsnap_agent/_vendor/{mod}.py"] = Path(m.origin).read_bytes()
    files["__main__.py"] = b"import sys\nfrom envsnap_agent.__main__ import main\nsys.exit(main())\n"
    return files


def _cache_root() -> Path:
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"envsnap-agent-{uid}"


def build_agent_dir(root: Optional[Path] = None) -> Path:
    """Materialise the agent as a runnable directory (content-addressed; reused when present)."""
    files = _agent_sources()
    h = hashlib.sha256()
    for name, data in sorted(files.items()):
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    root = root or _cache_root()
    path = root / f"agent-{h.hexdigest()[:16]}"
    if (path / "__main__.py").exists():
        return path
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".agent-", dir=root))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; any user (a container's) must read it
    for name, data in files.items():
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    try:
        os.replace(tmp, path)
    except OSError:  # another process won the race: theirs is identical
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return path


@dataclass(frozen=True)
class AgentOutput:
    returncode: int
    stdout: str
    stderr: str


class AgentRunner(Protocol):
    """Runs ``python AGENT ARGS`` somewhere (locally, in a container) and returns the output."""

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
        self.agent = build_agent_dir()
        self._prefetched: dict[tuple[str, ...], subprocess.Popen] = {}

    @property
    def description(self) -> str:
        return self.python

    def _start(self, args: Sequence[str]) -> subprocess.Popen:
        try:
            return subprocess.Popen(
                [self.python, str(self.agent), *args], cwd=self.cwd, env=self.env,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise InterpreterError(f"{self.python}: cannot run: {exc.strerror or exc}") from None

    def prefetch(self, args: Sequence[str]) -> None:
        """Start ``args`` now (e.g. while envsnap imports its heavier modules); a later call
        with the same args collects the result instead of starting it again."""
        self._prefetched.setdefault(tuple(args), self._start(args))

    def __call__(self, args: Sequence[str], *, timeout: float) -> AgentOutput:
        proc = self._prefetched.pop(tuple(args), None) or self._start(args)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise InterpreterError(f"{self.python}: the envsnap agent did not finish within {timeout:.0f} s") from None
        return AgentOutput(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
