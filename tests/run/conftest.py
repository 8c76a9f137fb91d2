import os
import subprocess
import sys
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": "2020-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2020-01-01T00:00:00Z",
}

TRAIN = '''\
import os, sys
import envsnap
data = open("data/in.txt").read()
os.makedirs("out/sub", exist_ok=True)
open("out/result.txt", "w").write(data.upper())
open("out/sub/more.bin", "wb").write(bytes(range(256)))
with open("out/curve.csv", "w") as fh:
    fh.write("step,loss\\n0,1.5\\n1,0.75\\n")
for step in range(3):
    envsnap.log_metrics(step, loss=1.0 / (step + 1))
print("hello from train", flush=True)
print("warning on stderr", file=sys.stderr, flush=True)
sys.exit(int(os.environ.get("TRAIN_EXIT", "0")))
'''


def git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, **GIT_ENV)
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny training project (no git) with an input file and a .gitignore."""
    root = tmp_path / "proj"
    (root / "data").mkdir(parents=True)
    (root / "data" / "in.txt").write_text("abc\n")
    (root / "train.py").write_text(TRAIN)
    (root / "lib").mkdir()
    (root / "lib" / "util.py").write_text("X = 1\n")
    (root / ".gitignore").write_text("*.log\ncache/\n")
    (root / "debug.log").write_text("ignored\n")
    (root / "cache").mkdir()
    (root / "cache" / "big.bin").write_bytes(b"\0" * 100)
    return root


@pytest.fixture
def git_project(project: Path) -> Path:
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "init")
    return project


@pytest.fixture
def py() -> str:
    return sys.executable
