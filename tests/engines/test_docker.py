"""The Docker engine, what can run without a daemon: error mapping, digest lookup, build errors."""
import pytest

from envsnap.engines.base import ImageInfo
from envsnap.engines.docker import DockerEngine as Engine
from envsnap.errors import EngineError


def test_no_daemon_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    with pytest.raises(EngineError, match="cannot reach the Docker engine: is dockerd running"):
        Engine()


def test_permission_denied_on_socket(tmp_path):
    """A socket the user may not open. Root ignores file modes, so as root the check runs in a
    child without CAP_DAC_OVERRIDE (setpriv), which makes the kernel enforce them."""
    import os
    import shutil
    import subprocess
    import sys

    sock = tmp_path / "docker.sock"
    sock.write_text("")
    sock.chmod(0)
    prefix = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root and setpriv (util-linux) is missing")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    code = ("from envsnap.engines.docker import DockerEngine as Engine\n"
            "from envsnap.errors import EngineError\n"
            "try:\n    Engine()\nexcept EngineError as e:\n    print(e.message)\n")
    res = subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "DOCKER_HOST": f"unix://{sock}"})
    assert "permission denied on the Docker socket" in res.stdout, res.stderr


def test_digest_for_matches_the_repository():
    info = ImageInfo(id="sha256:1", tags=["debian:bookworm"],
                     repo_digests=["debian@sha256:aa", "docker.io/library/python@sha256:bb"])
    assert info.digest_for("debian:bookworm") == "sha256:aa"
    assert info.digest_for("python:3.11.7-slim-bookworm") == "sha256:bb"
    assert info.digest_for("ubuntu:22.04") is None
    assert ImageInfo(id="sha256:2", tags=["envsnap/debian:bookworm"], repo_digests=[]).digest_for(
        "envsnap/debian:bookworm") is None


# Recorded tails of real legacy-builder failures on this machine.
MISSING_BASE = ["Step 1/26 : FROM debian:bookworm AS system"]
PIP_FAILED = [
    "Step 11/26 : RUN PIP_CONFIG_FILE=/dev/null /srv/venv/bin/python -m pip install --no-deps --require-hashes",
    "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.",
    "    six==1.16.0 from https://files.pythonhosted.org/.../six-1.16.0-py2.py3-none-any.whl:",
]


def test_build_error_classification():
    err = Engine._build_error("pull access denied for debian, repository does not exist or may require "
                              "'docker login'", "step 1/26: FROM debian:bookworm AS system", MISSING_BASE, "/x/build.log")
    assert err.message.startswith("base image missing: pull access denied") and "/x/build.log" in err.message
    err = Engine._build_error("The command '/bin/sh -c ...' returned a non-zero code: 1",
                              "step 11/26: RUN PIP_CONFIG_FILE=/dev/null ...", PIP_FAILED, None)
    assert "image build failed at step 11/26" in err.message and "THESE PACKAGES DO NOT MATCH" in err.message
    assert err.log_tail == PIP_FAILED and "six==1.16.0" in err.detail
