import os
import subprocess
from pathlib import Path

import pytest

SYSTEM_PY = "/usr/bin/python3"


def _make_dist(site: Path, name: str, version, *, record=True, wheel_tag="py3-none-any", direct_url=None,
               installer="pip", requested=True) -> None:
    d = site / f"{name}-{version or 'x'}.dist-info"
    d.mkdir()
    meta = f"Metadata-Version: 2.1\nName: {name}\n" + (f"Version: {version}\n" if version else "")
    (d / "METADATA").write_text(meta)
    if installer:
        (d / "INSTALLER").write_text(installer + "\n")
    if requested:
        (d / "REQUESTED").write_text("")
    if wheel_tag:
        (d / "WHEEL").write_text(f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {wheel_tag}\n")
    if direct_url:
        (d / "direct_url.json").write_text(direct_url)
    if record:
        (d / "RECORD").write_text(f"{d.name}/METADATA,,\n")


@pytest.fixture(scope="session")
def target_venv(tmp_path_factory) -> Path:
    """A venv of Debian's python3 with no envsnap in it, and distributions of every kind,
    including broken ones (written by hand the way pip lays them out)."""
    if not os.path.exists(SYSTEM_PY):
        pytest.skip("Debian's /usr/bin/python3 is not installed")
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([SYSTEM_PY, "-m", "venv", "--without-pip", str(root)], check=True)
    site = next((root / "lib").glob("python3*/site-packages"))
    _make_dist(site, "Plain_Pkg", "1.2.3")
    _make_dist(site, "torchlike", "2.3.0+cu121", wheel_tag="cp311-cp311-linux_x86_64", requested=False)
    _make_dist(site, "fromfile", "0.1", direct_url=(
        '{"archive_info": {"hashes": {"sha256": "' + "ab" * 32 + '"}}, "url": "file:///tmp/fromfile-0.1-py3-none-any.whl"}'))
    _make_dist(site, "editme", "0.0.1", direct_url='{"dir_info": {"editable": true}, "url": "file:///src/editme"}')
    _make_dist(site, "fromgit", "1.0", direct_url=(
        '{"url": "https://github.com/o/r.git", "vcs_info": {"commit_id": "' + "c" * 40 + '", "vcs": "git"}}'))
    _make_dist(site, "noversion", None)
    _make_dist(site, "halfinstalled", "3.0", record=False)
    bad = site / "garbage-1.0.dist-info"
    bad.mkdir()
    (bad / "direct_url.json").write_text("{not json")
    (bad / "METADATA").write_text("Metadata-Version: 2.1\nName: garbage\nVersion: 1.0\n")
    (bad / "RECORD").write_text("")
    return root
