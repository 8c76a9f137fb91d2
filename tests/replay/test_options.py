"""Replay's pure parts: option parsing, command mapping, environment, refusals before Docker."""
import sys
from pathlib import Path

import pytest

from envsnap.cli import main
from envsnap.errors import UsageError
from envsnap.model import CodeState, EnvsnapInfo, Manifest, Numerics, RunRecord
from envsnap.replay.options import parse_duration, parse_env
from envsnap.replay.prepare import container_command, numerics_env


def test_parse_duration():
    assert parse_duration("2h") == 7200 and parse_duration("1h30m") == 5400
    assert parse_duration("45s") == 45 and parse_duration("30") == 30 and parse_duration(None) is None
    for bad in ("soon", "0", "-5m", ""):
        with pytest.raises(UsageError):
            parse_duration(bad)


def test_parse_env():
    assert parse_env(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    with pytest.raises(UsageError):
        parse_env(["no-equals"])


def test_container_command_maps_a_host_python_path_to_the_images_python():
    assert container_command(["/tmp/v/bin/python3.11", "train.py"]) == ["python", "train.py"]
    assert container_command(["../../.venv/bin/python", "t.py"]) == ["python", "t.py"]
    assert container_command(["python", "t.py"]) == ["python", "t.py"]
    assert container_command(["torchrun", "t.py"]) == ["torchrun", "t.py"]


def test_numerics_env_keeps_settings_drops_host_paths_and_applies_overrides():
    m = Manifest(envsnap=EnvsnapInfo(version="0", created_at="x"),
                 numerics=Numerics(env={"OMP_NUM_THREADS": "4", "LD_PRELOAD": "/host/lib.so", "CUDA_VISIBLE_DEVICES": "1"}))
    run = RunRecord(argv=["python"], cwd="/", started_at="x", ended_at="x", duration_s=0, exit_code=0,
                    code=CodeState(kind="none"), numerics_env={"OPENBLAS_CORETYPE": "Haswell"})
    assert numerics_env(run, m, {"OPENBLAS_CORETYPE": "SkylakeX"}) == {"OMP_NUM_THREADS": "4", "OPENBLAS_CORETYPE": "SkylakeX"}


def _cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code, capsys.readouterr().err


def test_replay_of_a_folder_that_is_not_a_snapshot(tmp_path, capsys):
    code, err = _cli(["replay", str(tmp_path), "-o", str(tmp_path / "r")], capsys)
    assert code == 2 and "is not a snapshot folder" in err and "Traceback" not in err
    from envsnap.manifest_io import save

    (tmp_path / "cap").mkdir()
    save(Manifest(envsnap=EnvsnapInfo(version="0", created_at="x")), tmp_path / "cap" / "manifest.json")
    code, err = _cli(["replay", str(tmp_path / "cap"), "-o", str(tmp_path / "r")], capsys)
    assert code == 2 and "a capture, not a run" in err and "Traceback" not in err


def test_replay_refuses_to_write_into_the_snapshot(tmp_path, capsys, monkeypatch):
    snap = _tiny_snapshot(tmp_path, monkeypatch)
    code, err = _cli(["replay", str(snap), "-o", str(snap / "r")], capsys)
    assert code == 2 and "never modified" in err


def test_bad_timeout_is_a_usage_error(tmp_path, capsys, monkeypatch):
    snap = _tiny_snapshot(tmp_path, monkeypatch)
    code, err = _cli(["replay", str(snap), "-o", str(tmp_path / "r"), "--timeout", "soon"], capsys)
    assert code == 2 and "--timeout 'soon'" in err


def test_daemon_down_is_one_clear_line(tmp_path, capsys, monkeypatch):
    snap = _tiny_snapshot(tmp_path, monkeypatch)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such-docker.sock")
    code, err = _cli(["replay", str(snap), "-o", str(tmp_path / "r")], capsys)
    assert code == 2 and "cannot reach the Docker engine" in err and "Traceback" not in err


def _tiny_snapshot(tmp_path: Path, monkeypatch) -> Path:
    from envsnap.run import run_snapshot

    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "t.py").write_text("print('hi')\n")
    monkeypatch.chdir(proj)
    run_snapshot([sys.executable, "t.py"], tmp_path / "snap", probes=False)
    return tmp_path / "snap"
