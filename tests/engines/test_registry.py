"""Engines by name: the registry builds the named engine and refuses unknown names."""
import pytest

from envsnap.engines import engine_names, get_engine
from envsnap.errors import EngineError, UsageError


def test_unknown_engine_is_a_usage_error():
    with pytest.raises(UsageError, match=r"--engine 'nope': unknown engine \(known: docker"):
        get_engine("nope")


def test_default_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ENVSNAP_ENGINE", "nope")
    with pytest.raises(UsageError):
        get_engine()
    monkeypatch.delenv("ENVSNAP_ENGINE")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    with pytest.raises(EngineError, match="cannot reach the Docker engine"):
        get_engine()  # docker, the default


def test_docker_is_registered():
    assert "docker" in engine_names()


def test_only_one_module_imports_docker():
    """The SDK stays behind the boundary: exactly one module of the package imports it."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "envsnap"
    importers = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            if any(n == "docker" or n.startswith("docker.") for n in names):
                importers.append(path.relative_to(root).as_posix())
    assert sorted(set(importers)) == ["engines/docker.py"]
