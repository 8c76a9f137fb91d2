"""`envsnap run` on real subprocesses, real git repositories and real interpreters."""
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from envsnap.cli import main
from envsnap.manifest_io import load_manifest, load_run
from envsnap.run import run_snapshot
from envsnap.snapshot import read_snapshot
from envsnap.snapshot.code import restore_code, worktree_files

SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def cli(args, monkeypatch, cwd):
    monkeypatch.chdir(cwd)
    with pytest.raises(SystemExit) as exc:
        main(args)
    return exc.value.code


def test_run_writes_the_snapshot_and_behaves_like_the_command(project, py, monkeypatch, capfd):
    rc = cli(["run", "-o", "snap", "--data", "data", "--outputs", "out/**", "--no-probes", "--", py, "train.py"],
             monkeypatch, project)
    assert rc == 0
    captured = capfd.readouterr()
    # Output passes through on the same streams as without envsnap.
    assert "hello from train" in captured.out and "warning on stderr" in captured.err
    snap = project / "snap"
    rec = load_run(snap / "run.json")
    assert rec.exit_code == 0 and rec.argv == [py, "train.py"] and rec.cwd == str(project)
    assert [o.path for o in rec.outputs] == ["out/curve.csv", "out/result.txt", "out/sub/more.bin"]
    assert (snap / "outputs/out/result.txt").read_text() == "ABC\n"
    assert rec.peak_rss_bytes and rec.peak_rss_bytes > 1_000_000
    assert rec.data[0].path == "data" and rec.data[0].files[0].path == "in.txt"
    # Metrics: the API's JSONL plus the CSV found among the outputs.
    assert rec.metrics == ["metrics.jsonl", "outputs/out/curve.csv"]
    lines = [json.loads(x) for x in (snap / "metrics.jsonl").read_text().splitlines()]
    assert lines == [{"step": 0, "loss": 1.0}, {"step": 1, "loss": 0.5}, {"step": 2, "loss": 1 / 3}]
    log = (snap / "log.txt").read_text()
    assert "hello from train" in log and "warning on stderr" in log
    assert load_manifest(snap / "manifest.json").python.executable
    assert not [p for p in project.iterdir() if p.name.startswith(".snap")]  # no staging left


def test_exit_code_is_propagated_and_still_recorded(project, py, monkeypatch):
    monkeypatch.setenv("TRAIN_EXIT", "3")
    rc = cli(["run", "-o", "snap", "--no-probes", "--", py, "train.py"], monkeypatch, project)
    assert rc == 3
    assert load_run(project / "snap" / "run.json").exit_code == 3


def test_secrets_are_scrubbed_from_argv_and_log(project, py, monkeypatch):
    (project / "leak.py").write_text(f"import sys; print('token is', sys.argv[2]); print('{SECRET}')\n")
    monkeypatch.chdir(project)
    run_snapshot([py, "leak.py", "--api-key", "hunter2-very-secret"], project / "snap", probes=False)
    for name in ("run.json", "log.txt", "manifest.json"):
        text = (project / "snap" / name).read_text()
        assert SECRET not in text and "hunter2-very-secret" not in text, name
    assert "<redacted:" in (project / "snap" / "log.txt").read_text()


def test_outside_git_a_deterministic_tarball_honours_gitignore(project, py, monkeypatch):
    monkeypatch.chdir(project)
    run_snapshot([py, "train.py"], project / "s1", data=[Path("data")], outputs=["out/**"], probes=False)
    run_snapshot([py, "train.py"], project / "s2", data=[Path("data")], outputs=["out/**"], probes=False)
    a, b = (project / "s1/code/worktree.tar.gz").read_bytes(), (project / "s2/code/worktree.tar.gz").read_bytes()
    assert a == b
    with tarfile.open(project / "s1/code/worktree.tar.gz") as tar:
        names = sorted(tar.getnames())
    # Ignored files, data, outputs and the snapshots themselves are not code.
    assert names == [".gitignore", "lib/util.py", "train.py"]
    dest = project.parent / "restored"
    cwd = restore_code(read_snapshot(project / "s1"), dest)
    assert cwd == dest and (dest / "train.py").read_text() == (project / "train.py").read_text()


def test_git_patch_holds_tracked_changes_and_untracked_files_and_restores_exactly(git_project, py, monkeypatch):
    (git_project / "train.py").write_text((git_project / "train.py").read_text() + "# edited\n")
    (git_project / "lib" / "new.py").write_text("NEW = 2\n")
    (git_project / "lib" / "blob.bin").write_bytes(bytes(range(256)) * 4)
    (git_project / "x.log").write_text("ignored\n")
    index_before = (git_project / ".git" / "index").read_bytes()
    monkeypatch.chdir(git_project)
    run_snapshot([py, "train.py"], git_project / "snap", data=[Path("data")], outputs=["out/**"], probes=False)
    assert (git_project / ".git" / "index").read_bytes() == index_before  # the user's index untouched
    rec = load_run(git_project / "snap/run.json")
    assert rec.code.kind == "git" and rec.code.dirty and rec.code.branch == "main" and rec.code.cwd == "."
    patch = (git_project / "snap" / rec.code.patch).read_text(errors="replace")
    assert "# edited" in patch and "lib/new.py" in patch and "GIT binary patch" in patch
    assert "x.log" not in patch and "out/" not in patch and "data/in.txt" not in patch

    dest = git_project.parent / "ws"
    restore_code(read_snapshot(git_project / "snap"), dest)
    expected = {p.relative_to(git_project).as_posix() for p in worktree_files(git_project, ["out/", "snap/"])}  # committed data comes with the commit
    got = {p.relative_to(dest).as_posix() for p in worktree_files(dest)}
    assert got == expected
    for rel in expected:
        assert (dest / rel).read_bytes() == (git_project / rel).read_bytes(), rel


def test_clean_git_tree_has_no_patch(git_project, py, monkeypatch):
    monkeypatch.chdir(git_project)
    (git_project / "data" / "in.txt").write_text("changed data is not code\n")
    run_snapshot([py, "train.py"], git_project / "snap", data=[Path("data")], outputs=["out/**"], probes=False)
    rec = load_run(git_project / "snap/run.json")
    assert rec.code.dirty is False and rec.code.patch is None and not (git_project / "snap/code").exists()


@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="needs a second interpreter without envsnap")
def test_log_metrics_works_in_an_interpreter_without_envsnap(project, monkeypatch):
    # Debian's python3 has no envsnap: the run provides the one-module shim for the command only.
    probe = subprocess.run(["/usr/bin/python3", "-c", "import envsnap"], capture_output=True, cwd=project)
    if probe.returncode == 0:
        pytest.skip("envsnap is importable by /usr/bin/python3 here")
    monkeypatch.chdir(project)
    res = run_snapshot(["/usr/bin/python3", "train.py"], project / "snap", outputs=["out/**"], probes=False)
    assert res.record.exit_code == 0
    assert len((project / "snap/metrics.jsonl").read_text().splitlines()) == 3
    m = load_manifest(project / "snap" / "manifest.json")
    assert m.python.executable == "/usr/bin/python3" and m.package("envsnap") is None
    assert "PYTHONPATH" not in m.env


def test_probes_are_captured_for_the_commands_interpreter(project, py, monkeypatch):
    monkeypatch.chdir(project)
    run_snapshot([py, "train.py"], project / "snap", probes=True)
    m = load_manifest(project / "snap" / "manifest.json")
    assert m.probes.status == "ok" and any(r.status == "ok" for r in m.probes.results)


def test_existing_output_folder_is_refused_without_force(project, py, monkeypatch, capsys):
    (project / "snap").mkdir()
    (project / "snap" / "keep").write_text("x")
    rc = cli(["run", "-o", "snap", "--no-probes", "--", py, "train.py"], monkeypatch, project)
    assert rc == 2
    assert "already exists" in capsys.readouterr().err
    assert (project / "snap" / "keep").exists()
    # --force replaces only a folder envsnap wrote: not this one...
    assert cli(["run", "-o", "snap", "--force", "--no-probes", "--", py, "train.py"], monkeypatch, project) == 2
    assert "was not written by envsnap" in capsys.readouterr().err and (project / "snap" / "keep").exists()
    # ...but a snapshot, yes; and never the working folder itself.
    assert cli(["run", "-o", "snap2", "--no-probes", "--", py, "train.py"], monkeypatch, project) == 0
    (project / "snap2" / "keep").write_text("x")
    assert cli(["run", "-o", "snap2", "--force", "--no-probes", "--", py, "train.py"], monkeypatch, project) == 0
    assert not (project / "snap2" / "keep").exists()
    assert cli(["run", "-o", ".", "--force", "--no-probes", "--", py, "train.py"], monkeypatch, project) == 2
    assert "would replace the current folder" in capsys.readouterr().err and (project / "train.py").exists()


def test_missing_data_and_missing_command_are_one_line_errors(project, py, monkeypatch, capsys):
    assert cli(["run", "-o", "snap", "--data", "nope", "--no-probes", "--", py, "train.py"], monkeypatch, project) == 2
    assert "nope: no such file or directory" in capsys.readouterr().err
    assert cli(["run", "-o", "snap2", "--no-probes", "--", "no-such-cmd-xyz"], monkeypatch, project) == 2
    err = capsys.readouterr().err
    assert "no-such-cmd-xyz: command not found" in err and "Traceback" not in err
    assert not (project / "snap").exists() and not (project / "snap2").exists()


def test_killed_command_is_recorded_as_interrupted(project, py, monkeypatch):
    (project / "die.py").write_text("import os, signal; print('x', flush=True); os.kill(os.getpid(), signal.SIGTERM)\n")
    monkeypatch.chdir(project)
    res = run_snapshot([py, "die.py"], project / "snap", probes=False)
    assert res.record.exit_code == 128 + 15 and res.record.partial
