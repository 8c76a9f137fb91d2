"""Capture against real interpreters: a venv without envsnap, the system python, no git."""
import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

from envsnap.agent_runtime import LocalRunner
from envsnap.capture import capture_environment
from envsnap.errors import InterpreterError
from envsnap.manifest_io import dumps
from envsnap.model import Manifest
from tests.secrets import all_secret_values, planted_env

SCHEMA = Path(__file__).resolve().parents[2] / "envsnap" / "schema" / "manifest.schema.json"


def _capture(python, cwd, extra_env=None, **kw) -> Manifest:
    env = dict(os.environ)
    env.update(extra_env or {})
    return capture_environment(runner=LocalRunner(str(python), cwd=str(cwd), env=env), cwd=str(cwd), probes=False, **kw)


def test_venv_without_envsnap(target_venv, tmp_path):
    m = _capture(target_venv / "bin" / "python", tmp_path)
    assert m.python.env_kind == "venv" and m.python.version.startswith("3.")
    pk = {p.name: p for p in m.packages.python}
    assert "envsnap" not in pk and "pydantic" not in pk
    assert pk["plain-pkg"].version == "1.2.3" and pk["plain-pkg"].source == "index" and pk["plain-pkg"].requested
    assert pk["torchlike"].version == "2.3.0+cu121" and pk["torchlike"].wheel_tags == ["cp311-cp311-linux_x86_64"]
    assert pk["torchlike"].requested is False
    ff = pk["fromfile"]
    assert ff.source == "local" and ff.hashes[0].source == "direct_url" and ff.hashes[0].value == "ab" * 32
    assert ff.direct_url["url"] == "file:///tmp/fromfile-0.1-py3-none-any.whl"
    assert pk["editme"].editable and pk["editme"].source == "editable"
    assert pk["fromgit"].source == "vcs" and pk["fromgit"].direct_url["vcs_info"]["commit_id"] == "c" * 40
    # Broken and half-installed distributions are recorded with the reason, never fatal.
    assert "no Version" in pk["noversion"].broken
    assert "RECORD" in pk["halfinstalled"].broken
    assert "direct_url.json unreadable" in pk["garbage"].broken
    assert m.git.status == "skipped" and "not a git repository" in m.git.reason
    assert m.nvidia.status in ("skipped", "ok")
    assert m.os.package_manager == "dpkg" and any(p.name == "libc6" for p in m.os.packages)


def test_system_interpreter(tmp_path):
    m = _capture("/usr/bin/python3", tmp_path)
    assert m.python.env_kind == "system" and m.python.executable == "/usr/bin/python3"
    # Debian's python is a dpkg package: its owner is recorded with the exact version.
    assert any(p.name.startswith("python3.11") for p in m.os.packages)


def test_no_secret_reaches_the_manifest(target_venv, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    token = all_secret_values()[2]  # a GitHub token
    subprocess.run(["git", "-C", str(repo), "remote", "add", "origin",
                    f"https://x-access-token:{token}@github.com/o/r.git"], check=True)
    pipconf = tmp_path / "pip.conf"
    pipconf.write_text("[global]\nindex-url = https://carol:s3cretpw99@pypi.corp.example/simple\n"
                       "find-links = https://dave:pw-in-link@files.example/wheels\n")
    env = planted_env()
    env["PIP_CONFIG_FILE"] = str(pipconf)
    env.pop("PIP_INDEX_URL")
    m = _capture(target_venv / "bin" / "python", repo, env)
    text = dumps(m)
    leaked = [s for s in all_secret_values() + ["s3cretpw99", "pw-in-link"] if s in text]
    assert leaked == []
    assert m.git.remote.startswith("https://x-access-token:<redacted:") and m.git.remote.endswith("@github.com/o/r.git")
    assert m.python.pip_config.index_url.endswith("@pypi.corp.example/simple")
    assert m.python.pip_config.extra_index_urls and "<redacted:" in m.python.pip_config.extra_index_urls[0]


def test_two_captures_differ_only_in_timestamps_and_durations(target_venv, tmp_path):
    a = json.loads(dumps(_capture(target_venv / "bin" / "python", tmp_path)))
    b = json.loads(dumps(_capture(target_venv / "bin" / "python", tmp_path)))
    for doc in (a, b):
        doc["envsnap"].pop("created_at")
        doc["envsnap"].pop("durations_ms")
    assert a == b


def test_manifest_matches_committed_json_schema(target_venv, tmp_path):
    schema = json.loads(SCHEMA.read_text())
    assert schema == Manifest.model_json_schema(), "regenerate: python -m envsnap.schema"
    m = _capture(target_venv / "bin" / "python", tmp_path)
    jsonschema.validate(json.loads(dumps(m)), schema)


def test_not_an_interpreter(tmp_path):
    with pytest.raises(InterpreterError) as err:
        capture_environment("/bin/true", probes=False)
    assert "/bin/true" in err.value.message
    with pytest.raises(InterpreterError):
        capture_environment(str(tmp_path / "nope"), probes=False)


def test_two_captures_with_probes_differ_only_in_timings(tmp_path):
    """With numpy and torch loaded, probes included: only timestamps and durations move."""
    import sys

    py = sys.executable  # the dev venv: numpy and torch CPU

    def cap():
        doc = json.loads(dumps(capture_environment(runner=LocalRunner(py, cwd=str(tmp_path)), cwd=str(tmp_path))))
        doc["envsnap"].pop("created_at")
        doc["envsnap"].pop("durations_ms")
        for r in doc["probes"]["results"]:
            r.pop("ms")
        return doc

    a, b = cap(), cap()
    assert a["probes"]["status"] == "ok" and any(r["status"] == "ok" for r in a["probes"]["results"])
    assert a == b
