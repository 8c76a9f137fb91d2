"""Manifests built directly from envsnap.model for lock/render tests (shared helpers).

Values mirror a real capture of a venv of Debian 12's /usr/bin/python3 on this machine.
"""
from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path
from typing import Any, List, Optional

from envsnap.model import (
    GPU,
    ArtifactHash,
    CondaPackage,
    Cuda,
    EnvsnapInfo,
    FrameworkCuda,
    Manifest,
    Numerics,
    Nvidia,
    OSInfo,
    Package,
    Packages,
    PipConfig,
    PythonInfo,
    SystemPackage,
)

DEB_PY = "3.11.2-6+deb12u6"


def make_wheel(directory: Path, name: str, version: str, tag: str = "py3-none-any") -> Path:
    """A minimal valid wheel (what `pip wheel` makes for a one-module project), written by hand."""
    dist = f"{name.replace('-', '_')}-{version}"
    path = directory / f"{dist}-{tag}.whl"
    files = {
        f"{name.replace('-', '_')}.py": f"VALUE = {version!r}\n".encode(),
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}.dist-info/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n".encode(),
    }
    record = []
    for n, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{n},sha256={digest},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in files.items():
            zf.writestr(zipfile.ZipInfo(n, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return path


def local_wheel_package(wheel: Path, name: str, version: str) -> Package:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return Package(
        name=name, version=version, installer="pip", requested=True, source="local",
        direct_url={"url": wheel.as_uri(), "archive_info": {"hashes": {"sha256": digest}}},
        wheel_tags=["py3-none-any"],
        hashes=[ArtifactHash(algorithm="sha256", value=digest, source="direct_url", filename=wheel.name)],
    )


def manifest(
    packages: Optional[List[Package]] = None,
    *,
    python: Optional[dict] = None,
    os_packages: Optional[List[SystemPackage]] = None,
    numerics_env: Optional[dict] = None,
    find_links: Optional[List[str]] = None,
    conda: Optional[List[CondaPackage]] = None,
    gpu: bool = False,
    cuda_source: str = "none",
    **sections: Any,
) -> Manifest:
    py = {"implementation": "cpython", "version": "3.11.2", "build": "3.11.2 (main, Apr 28 2025, 14:11:48) [GCC 12.2.0]",
              "executable": "/srv/venv/bin/python", "prefix": "/srv/venv", "base_prefix": "/usr", "env_kind": "venv",
              "platform": "linux-x86_64", "soabi": "cpython-311-x86_64-linux-gnu",
              "pip_config": PipConfig(index_url=None, find_links=find_links or [])}
    py.update(python or {})
    osp = os_packages if os_packages is not None else [
        SystemPackage(name="libc6", version="2.36-9+deb12u14", arch="amd64"),
        SystemPackage(name="libpython3.11-stdlib", version=DEB_PY, arch="amd64"),
        SystemPackage(name="python3.11-minimal", version=DEB_PY, arch="amd64"),
    ]
    nv = Nvidia(status="skipped", reason="no driver")
    cu = Cuda(source=cuda_source)
    if gpu:
        nv = Nvidia(driver_version="550.54.15", cuda_driver_version="12.4",
                    gpus=[GPU(index=0, name="NVIDIA A100-SXM4-40GB", compute_capability="8.0")])
        cu = Cuda(source=cuda_source, frameworks=[FrameworkCuda(framework="torch", version="2.3.0+cu121",
                                                               cuda="12.1", cudnn="8902", how="loaded")],
                  system_toolkit="/usr/local/cuda-12.1 (12.1)" if cuda_source == "system" else None)
    return Manifest(
        envsnap=EnvsnapInfo(version="0.1.0", created_at="2026-01-01T00:00:00Z"),
        os=OSInfo(id="debian", version_id="12", codename="bookworm", pretty_name="Debian GNU/Linux 12 (bookworm)",
                  libc="glibc 2.36", package_manager="dpkg", packages=osp),
        python=PythonInfo(**py),
        packages=Packages(python=packages or [], conda=conda or []),
        numerics=Numerics(env=numerics_env or {}),
        nvidia=nv, cuda=cu, **sections,
    )
