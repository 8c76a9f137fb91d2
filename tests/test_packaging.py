"""The wheel ships every package, the agent, the templates and the JSON Schema."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _declared_packages():
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])


def test_every_package_is_declared():
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "envsnap").rglob("__init__.py")
             if "__pycache__" not in p.parts}
    assert found - _declared_packages() == set()


def test_wheel_contents(tmp_path):
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                          "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.fail(res.stderr[-2000:])
    wheel = next(tmp_path.glob("envsnap-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"envsnap/templates/{p.name}" for p in (ROOT / "templates").iterdir() if p.suffix == ".j2"}
    assert templates and templates <= names
    assert "envsnap/agent/__main__.py" in names and "envsnap/agent/probes/__init__.py" in names
    assert "envsnap/schema/manifest.schema.json" in names
