"""The CLI as a user types it: a real subprocess, one-line errors, exit codes."""
import json
import os
import subprocess
import sys

import pytest

ENVSNAP = [sys.executable, "-m", "envsnap"]


def run(*args, cwd=None, env=None):
    return subprocess.run([*ENVSNAP, *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_version_and_help_on_every_command():
    assert run("--version").stdout.startswith("envsnap ")
    top = run("--help")
    assert top.returncode == 0
    import typer

    from envsnap.cli import app

    commands = sorted(typer.main.get_command(app).commands)
    assert "capture" in commands and "show" in commands
    for cmd in commands:
        res = run(cmd, "--help")
        assert res.returncode == 0 and "Usage" in res.stdout, cmd


def test_capture_to_file_then_show(tmp_path):
    out = tmp_path / "env.json"
    res = run("capture", "--no-probes", "--python", "/usr/bin/python3", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert json.loads(out.read_text())["python"]["executable"] == "/usr/bin/python3"
    shown = run("show", str(out))
    assert shown.returncode == 0 and "3.11" in shown.stdout and "Skipped" in shown.stdout


def test_capture_json_to_stdout(tmp_path):
    res = run("capture", "--no-probes", "--json", cwd=tmp_path)
    assert res.returncode == 0
    assert json.loads(res.stdout)["schema_version"] == 1
    assert list(tmp_path.iterdir()) == []


def test_default_interpreter_is_python_on_path(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink("/usr/bin/python3", bindir / "python")
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
    res = run("capture", "--no-probes", "--json", env=env, cwd=tmp_path)
    assert json.loads(res.stdout)["python"]["version"].startswith("3.11.2")


@pytest.mark.parametrize("case", ["exists", "unwritable", "notpython", "missingpython", "truncated", "foreign", "newer"])
def test_bad_input_one_line_exit_2(tmp_path, case):
    out = tmp_path / "env.json"
    if case == "exists":
        out.write_text("precious")
        res = run("capture", "--no-probes", "-o", str(out))
        assert out.read_text() == "precious"
    elif case == "unwritable":
        res = run("capture", "--no-probes", "-o", str(tmp_path / "no" / "such" / "dir.json"))
    elif case == "notpython":
        res = run("capture", "--no-probes", "--python", "/bin/true", "-o", str(out))
        assert not out.exists()
    elif case == "missingpython":
        res = run("capture", "--no-probes", "--python", str(tmp_path / "nope"), "-o", str(out))
    else:
        out.write_text({"truncated": '{"schema_version": 1, "env', "foreign": '{"name": "x"}',
                        "newer": '{"schema_version": 1000}'}[case])
        res = run("show", str(out))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("envsnap: error: "), res.stderr
    assert "Traceback" not in res.stderr


def test_output_is_a_directory(tmp_path):
    res = run("capture", "--no-probes", "-o", str(tmp_path), "--force")
    assert res.returncode == 2 and "is a directory" in res.stderr
