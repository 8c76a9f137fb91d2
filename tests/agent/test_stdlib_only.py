"""The agent runs inside interpreters envsnap does not control: stdlib only, old syntax only.

Checked statically on every file (imports, grammar of the oldest supported Python) and, where
an interpreter of that version is on this machine (PATH or pyenv), by running a real capture
with it."""
import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envsnap.agent import OLDEST_PYTHON
from envsnap.agent_runtime import build_agent_dir

AGENT = Path(__file__).resolve().parents[2] / "envsnap" / "agent"
# Imported only inside functions or try blocks, when the target has them (or from _vendor).
OPTIONAL = {"pip", "threadpoolctl", "pynvml", "numpy", "torch", "jax", "jaxlib", "cupy", "tensorflow", "cpuinfo"}
FILES = sorted(AGENT.rglob("*.py"))


def _top_level_modules(node: ast.AST):
    if isinstance(node, ast.Import):
        return [a.name.split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module.split(".")[0]]
    return []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(AGENT).as_posix())
def test_agent_file_parses_with_the_oldest_grammar(path):
    ast.parse(path.read_text(), filename=str(path), feature_version=OLDEST_PYTHON)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(AGENT).as_posix())
def test_agent_imports_only_the_standard_library(path):
    tree = ast.parse(path.read_text())
    stdlib = set(sys.stdlib_module_names)
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.Try)):
            for inner in ast.walk(node):
                guarded.add(id(inner))
    for node in ast.walk(tree):
        for mod in _top_level_modules(node):
            if mod in stdlib or mod == "__future__":
                continue
            assert mod in OPTIONAL, f"{path.name} imports {mod}, which is neither stdlib nor an optional framework"
            assert id(node) in guarded, f"{path.name} imports {mod} unguarded at module level"


def _oldest_python():
    want = "%d.%d" % OLDEST_PYTHON
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    cands = [str(c / "bin" / "python") for c in sorted(Path(root, "versions").glob(f"{want}.*"))]
    cands += [c for c in [shutil.which(f"python{want}")] if c]
    for exe in cands:  # a pyenv shim may exist and still refuse to run: try each
        try:
            if subprocess.run([exe, "-c", "pass"], capture_output=True, timeout=30).returncode == 0:
                return exe
        except OSError:
            continue
    return None


def test_the_agent_captures_with_the_oldest_python(tmp_path):
    py = _oldest_python()
    if py is None:
        pytest.skip("no Python %d.%d on this machine (the static checks above still ran)" % OLDEST_PYTHON)
    agent = build_agent_dir()
    res = subprocess.run([py, "-I", str(agent), "capture"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(res.stdout)
    assert data["python"]["version"].startswith("%d.%d." % OLDEST_PYTHON)
    assert data["packages"].get("status", "ok") == "ok" and "python" in data["packages"]
    probes = subprocess.run([py, "-I", str(agent), "probes", "--ids", "cpu.numpy.ftz_daz"], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert probes.returncode == 0 and '"done": true' in probes.stdout, probes.stderr[-2000:]
