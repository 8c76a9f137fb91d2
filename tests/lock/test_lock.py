import hashlib

import pytest

from envsnap.errors import EnvsnapError
from envsnap.lock import lock_manifest
from envsnap.lock.artifacts import strip_credentials, wheel_matches
from envsnap.lock.piptools import parse_hashed_requirements
from envsnap.model import CondaPackage, Package
from tests.manifests import local_wheel_package, make_wheel, manifest

# Recorded output of `pip-compile --generate-hashes --no-annotate` on this machine (six, numpy).
PIP_COMPILE_OUT = """\
numpy==1.26.4 \\
    --hash=sha256:bbb \\
    --hash=sha256:aaa
six==1.16.0 \\
    --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254
Torch==2.13.0+cpu ; python_version >= "3.9" \\
    --hash=sha256:ccc
"""


def test_parse_hashed_requirements():
    got = parse_hashed_requirements(PIP_COMPILE_OUT)
    assert got["numpy"] == ("1.26.4", ["sha256:aaa", "sha256:bbb"])
    assert got["torch"] == ("2.13.0+cpu", ["sha256:ccc"])
    assert got["six"][0] == "1.16.0"


@pytest.mark.parametrize("fn,name,version,tags,ok", [
    ("six-1.16.0-py2.py3-none-any.whl", "six", "1.16.0", ["py2-none-any", "py3-none-any"], True),
    ("six-1.16.0-py3-none-any.whl", "six", "1.16.0", ["py2-none-any", "py3-none-any"], False),
    ("torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl", "torch", "2.13.0+cpu",
     ["cp311-cp311-manylinux_2_28_x86_64"], True),
    ("torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl", "torch", "2.13.0+cpu",
     ["cp311-cp311-manylinux_2_28_x86_64"], False),
    ("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "numpy", "1.26.4",
     ["cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"], True),
])
def test_wheel_matches_exact_version_and_tags(fn, name, version, tags, ok):
    assert wheel_matches(fn, name, version, tags) is ok


def test_strip_credentials():
    assert strip_credentials("https://user:<redacted:ab12:cd34>@pypi.example/simple") == "https://pypi.example/simple"
    assert strip_credentials("https://pypi.org/simple") == "https://pypi.org/simple"


def test_local_wheel_goes_to_wheelhouse_hash_verified(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    wheel = make_wheel(src, "tinypkg", "0.1")
    m = manifest([local_wheel_package(wheel, "tinypkg", "0.1")])
    out = tmp_path / "lock"
    res = lock_manifest(m, out)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert res.wheelhouse == [wheel.name]
    assert (out / "wheelhouse" / wheel.name).read_bytes() == wheel.read_bytes()
    assert res.index_urls == []  # nothing left to fetch: an air-gapped build
    assert f"tinypkg==0.1 \\\n    --hash=sha256:{digest}" in (out / "requirements.txt").read_text()
    pylock = (out / "pylock.toml").read_text()
    assert f'path = "wheelhouse/{wheel.name}"' in pylock and digest in pylock
    # Deterministic: the same manifest locks to the same bytes.
    first = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    lock_manifest(m, out)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == first


def test_find_links_artifact_goes_to_wheelhouse(tmp_path):
    links = tmp_path / "links"
    links.mkdir()
    wheel = make_wheel(links, "localbuild", "2.0+cpu", tag="py3-none-any")
    pkg = Package(name="localbuild", version="2.0+cpu", source="index", installer="pip",
                  index_url="https://pypi.org/simple", wheel_tags=["py3-none-any"])
    res = lock_manifest(manifest([pkg], find_links=[str(links)]), tmp_path / "lock")
    (locked,) = res.packages
    assert locked.kind == "wheelhouse" and locked.origin == f"find-links {links}"
    assert locked.hashes == ["sha256:" + hashlib.sha256(wheel.read_bytes()).hexdigest()]


def test_missing_local_artifact_names_the_package(tmp_path):
    wheel = make_wheel(tmp_path, "gonepkg", "1.0")
    pkg = local_wheel_package(wheel, "gonepkg", "1.0")
    wheel.unlink()
    with pytest.raises(EnvsnapError, match=r"gonepkg==1\.0: installed from .*gonepkg-1\.0-py3-none-any\.whl, "
                                           r"which no longer exists"):
        lock_manifest(manifest([pkg]), tmp_path / "lock")


def test_changed_local_artifact_is_refused(tmp_path):
    wheel = make_wheel(tmp_path, "changed", "1.0")
    pkg = local_wheel_package(wheel, "changed", "1.0")
    wheel.write_bytes(wheel.read_bytes() + b"tampered")
    with pytest.raises(EnvsnapError, match=r"changed==1\.0: .* changed since install"):
        lock_manifest(manifest([pkg]), tmp_path / "lock")


def test_editable_vcs_and_broken_are_skipped_with_reasons(tmp_path):
    pkgs = [
        Package(name="mine", version="0.0.1", source="editable", editable=True,
                direct_url={"url": "file:///src/mine", "dir_info": {"editable": True}}),
        Package(name="fromgit", version="1.0", source="vcs",
                direct_url={"url": "https://github.com/x/y", "vcs_info": {"vcs": "git", "commit_id": "ab" * 20}}),
        Package(name="halfway", version="1.0", broken="no RECORD file (half-installed?)"),
    ]
    res = lock_manifest(manifest(pkgs), tmp_path / "lock")
    reasons = {s.name: s.reason for s in res.skipped}
    assert set(reasons) == {"mine", "fromgit", "halfway"}
    assert "editable" in reasons["mine"] and "VCS" in reasons["fromgit"] and "RECORD" in reasons["halfway"]
    assert res.packages == []


def test_conda_packages_are_written_in_conda_lock_format(tmp_path):
    from conda_lock.lockfile import parse_conda_lock_file

    conda = [
        CondaPackage(name="python", version="3.11.9", build="hab00c5b_0_cpython", channel="conda-forge",
                     subdir="linux-64", url="https://conda.anaconda.org/conda-forge/linux-64/python-3.11.9-hab00c5b_0_cpython.conda",
                     md5="d1bd4e19ee6b7e19d8b6d3b1c8a5ae8a", sha256="f" * 64),
        CondaPackage(name="nohash", version="1.0", url=None),
    ]
    res = lock_manifest(manifest([], conda=conda), tmp_path / "lock")
    parsed = parse_conda_lock_file(tmp_path / "lock" / "conda-lock.yml")
    (dep,) = parsed.package
    assert (dep.name, dep.version, dep.hash.md5, dep.hash.sha256) == ("python", "3.11.9", conda[0].md5, "f" * 64)
    assert dep.url == conda[0].url
    assert any(s.name == "nohash" for s in res.skipped)
