"""Replay's stages on the in-memory engine: what runs, what is refused before building, what the
folder holds afterwards. (integration/test_replay.py runs the same paths on a real Docker engine.)"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from envsnap.agent_runtime import LocalRunner
from envsnap.build import paths
from envsnap.engines.base import LABEL, RunSpec
from envsnap.engines.fake import FakeEngine, FakeRun
from envsnap.errors import DataMismatchError, EngineError, OutputError
from envsnap.model import Numerics
from envsnap.replay import ReplayOptions, replay
from envsnap.run import run_snapshot
from envsnap.snapshot import layout, read_snapshot
from tests.run.conftest import TRAIN


@pytest.fixture(scope="module")
def agent_capture() -> str:
    """What the agent prints in an environment (this interpreter's, standing in for the image's)."""
    return LocalRunner(sys.executable)(["capture"], timeout=120).stdout


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> str:
    """A venv without packages: locking it needs no index."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return str(venv / "bin" / "python")


@pytest.fixture
def snap(tmp_path, monkeypatch, bare_python):
    proj = tmp_path / "proj"
    (proj / "data").mkdir(parents=True)
    (proj / "data" / "in.txt").write_text("abc\n")
    (proj / "train.py").write_text(TRAIN)
    monkeypatch.chdir(proj)
    run_snapshot([bare_python, "train.py"], tmp_path / "snap", data=[Path("data")], outputs=["out/**"],
                 probes=False)
    monkeypatch.chdir(tmp_path)
    return read_snapshot(tmp_path / "snap")


def same_as(snapshot, agent_capture, **changes):
    """A container that computes exactly what the original run did (or ``changes`` to its files)."""
    files = {r.path: snapshot.member(f"{layout.OUTPUTS}/{r.path}").read_bytes() for r in snapshot.outputs}
    files[f"{paths.RUN_DIR}/{layout.METRICS}"] = snapshot.member(layout.METRICS).read_bytes()
    files.update(changes)

    def behave(spec: RunSpec) -> FakeRun:
        if paths.AGENT_DIR in spec.command:
            return FakeRun(output=agent_capture)
        if spec.command[0] != "python":  # the build's own checks (apt-mismatch.txt)
            return FakeRun()
        return FakeRun(output="hello from train\n", files={k: v for k, v in files.items() if v is not None})

    return behave


def test_an_identical_replay(snap, agent_capture, tmp_path):
    engine = FakeEngine(same_as(snap, agent_capture))
    res = replay(snap, tmp_path / "r", ReplayOptions(probes=False), engine=engine)
    assert res.exit_code == 0 and res.report.status == "identical" and res.report.verdict == "BITWISE_IDENTICAL"
    out = tmp_path / "r"
    for name in (layout.REPORT_JSON, layout.REPORT_MD, layout.RUN, layout.MANIFEST, layout.LOG, layout.MARKER):
        assert (out / name).is_file(), name
    assert not (out / layout.SCRATCH).exists() and not (out / layout.SHIM).exists()
    train, capture = [r for r in engine.runs if r.command[0] == "python"]
    assert train.command == ("python", "train.py") and train.workdir == paths.WORKDIR and LABEL in train.labels
    assert any(m.target == f"{paths.WORKDIR}/data" and m.read_only for m in train.mounts)
    assert paths.AGENT_DIR in capture.command  # the capture runs after the command, never beside it
    assert engine.live == []
    assert read_snapshot(out).kind == "replay"


def test_a_replay_whose_command_writes_nothing_is_never_identical(snap, agent_capture, tmp_path):
    engine = FakeEngine(lambda spec: FakeRun(output=agent_capture) if paths.AGENT_DIR in spec.command else FakeRun())
    res = replay(snap, tmp_path / "r", ReplayOptions(probes=False), engine=engine)
    assert res.exit_code == 1 and res.report.verdict == "STRUCTURAL_MISMATCH"


def test_a_crash_still_writes_the_report_then_fails(snap, agent_capture, tmp_path):
    def crash(spec):
        return FakeRun(output=agent_capture) if paths.AGENT_DIR in spec.command else FakeRun(2, "boom\n")

    with pytest.raises(EngineError, match="exited with status 2"):
        replay(snap, tmp_path / "r", ReplayOptions(probes=False), engine=FakeEngine(crash))
    report = json.loads((tmp_path / "r" / layout.REPORT_JSON).read_text())
    assert report["status"] == "crashed" and report["log_tail"] == ["boom"]


def test_changed_data_is_refused_before_any_build(snap, agent_capture, tmp_path):
    (tmp_path / "proj" / "data" / "in.txt").write_text("changed\n")
    engine = FakeEngine(same_as(snap, agent_capture))
    with pytest.raises(DataMismatchError, match=r"data/in\.txt"):
        replay(snap, tmp_path / "r", ReplayOptions(probes=False), engine=engine)
    assert engine.built == [] and engine.runs == [] and not (tmp_path / "r").exists()
    assert not list(tmp_path.glob(".r.*"))  # no staging folder left behind


def test_a_failed_replay_leaves_the_previous_one_intact(snap, agent_capture, tmp_path):
    replay(snap, tmp_path / "r", ReplayOptions(probes=False), engine=FakeEngine(same_as(snap, agent_capture)))
    before = (tmp_path / "r" / layout.REPORT_JSON).read_bytes()
    with pytest.raises(EngineError):
        replay(snap, tmp_path / "r", ReplayOptions(probes=False, force=True),
               engine=FakeEngine(fail_build="ERROR: no matching distribution"))
    assert (tmp_path / "r" / layout.REPORT_JSON).read_bytes() == before


def test_a_manifest_changed_in_memory_replays_without_writing_a_snapshot(snap, agent_capture, tmp_path):
    engine = FakeEngine(same_as(snap, agent_capture))
    replay(snap, tmp_path / "r1", ReplayOptions(probes=False), engine=engine)
    changed = snap.with_manifest(snap.manifest.model_copy(update={"numerics": Numerics(env={"OMP_NUM_THREADS": "1"})}))
    res = replay(changed, tmp_path / "r2", ReplayOptions(probes=False), engine=engine)
    assert len(set(engine.built)) == 2 and res.report.image["tag"] != json.loads(
        (tmp_path / "r1" / layout.REPORT_JSON).read_text())["image"]["tag"]
    assert engine.runs[-2].env.get("OMP_NUM_THREADS") == "1"
    assert sorted(p.name for p in snap.root.iterdir()) == sorted(p.name for p in (tmp_path / "snap").iterdir())


def test_output_inside_the_snapshot_and_over_it_are_refused(snap, agent_capture, tmp_path):
    engine = FakeEngine(same_as(snap, agent_capture))
    with pytest.raises(OutputError, match="never modified"):
        replay(snap, tmp_path / "snap" / "r", ReplayOptions(probes=False), engine=engine)
    with pytest.raises(OutputError, match="would replace"):
        replay(snap, tmp_path, ReplayOptions(probes=False, force=True), engine=engine)
    assert engine.runs == []


def test_a_timeout_keeps_partial_outputs(snap, agent_capture, tmp_path):
    def hang(spec):
        return FakeRun(hang=True, files={"out/result.txt": b"part"}) if paths.AGENT_DIR not in spec.command \
            else FakeRun(output=agent_capture)

    with pytest.raises(EngineError, match="--timeout"):
        replay(snap, tmp_path / "r", ReplayOptions(probes=False, timeout_s=1.0), engine=FakeEngine(hang))
    run = json.loads((tmp_path / "r" / layout.RUN).read_text())
    assert run["partial"] is True and (tmp_path / "r" / "outputs" / "out" / "result.txt").read_bytes() == b"part"
