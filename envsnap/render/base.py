"""Which base image reproduces the captured environment (DESIGN.md "Replay: the Dockerfile").

CUDA from pip wheels -> a plain image of the captured OS (the wheels bring CUDA; the NVIDIA
container runtime brings the driver); a system CUDA toolkit -> nvidia/cuda:<ver>-cudnn-runtime-<os>;
CPU only -> the captured distro's image when Python is the distro's own, else the official
python:<ver>-slim-<codename> image of the exact version.
"""
from __future__ import annotations

import os
import re
from typing import Optional

from ..model import Manifest
from .model import BaseImage

LOCAL_DEFAULT = "envsnap/debian:bookworm"
_DEBIAN_CODENAMES = ("buster", "bullseye", "bookworm", "trixie")
_UBUNTU = {"20.04": "focal", "22.04": "jammy", "24.04": "noble"}


def local_default() -> str:
    """The local image used when the chosen one is not available (no registry here)."""
    return os.environ.get("ENVSNAP_BASE_IMAGE") or LOCAL_DEFAULT


def is_distro_python(m: Manifest) -> bool:
    """The captured interpreter is the OS package's (e.g. Debian's /usr/bin/python3)."""
    py = m.python
    if not py.version or py.base_prefix not in ("/usr",) or m.os.package_manager != "dpkg":
        return False
    mm = ".".join(py.version.split(".")[:2])
    return distro_python_version(m) is not None or any(p.name == f"python{mm}" for p in m.os.packages) or \
        bool(py.executable and py.executable.startswith("/usr/bin/"))


def distro_python_version(m: Manifest) -> Optional[str]:
    """The deb version of the captured interpreter's package (python3.X-minimal), if recorded."""
    if not m.python.version:
        return None
    mm = ".".join(m.python.version.split(".")[:2])
    for name in (f"python{mm}-minimal", f"python{mm}", f"libpython{mm}-minimal", f"libpython{mm}-stdlib"):
        for p in m.os.packages:
            if p.name == name:
                return p.version
    return None


def _os_tag(m: Manifest) -> Optional[str]:
    if m.os.id == "ubuntu" and m.os.version_id:
        return f"ubuntu{m.os.version_id}"
    return None


def _cuda_version(m: Manifest) -> Optional[str]:
    for f in m.cuda.frameworks:
        if f.cuda:
            return f.cuda
    if m.cuda.system_toolkit:
        mt = re.search(r"\((\d+\.\d+(?:\.\d+)?)\)", m.cuda.system_toolkit)
        if mt:
            return mt.group(1)
    return None


def choose_base(m: Manifest) -> BaseImage:
    """The preferred base image for ``m`` (not yet checked for availability)."""
    codename = m.os.codename if m.os.id == "debian" and m.os.codename in _DEBIAN_CODENAMES else None
    if m.used_gpu() and m.cuda.source == "system":
        cuda = _cuda_version(m)
        os_tag = _os_tag(m) or "ubuntu22.04"
        if cuda:
            return BaseImage(f"nvidia/cuda:{cuda}-cudnn-runtime-{os_tag}", os_id="ubuntu",
                             codename=_UBUNTU.get(os_tag[6:]), cuda=cuda,
                             why=f"the run loaded the system CUDA toolkit {cuda}")
    if is_distro_python(m):
        if m.os.id == "ubuntu" and m.os.version_id:
            return BaseImage(f"ubuntu:{m.os.version_id}", os_id="ubuntu", codename=m.os.codename,
                             why="the captured Python is Ubuntu's own package")
        if codename:
            return BaseImage(f"debian:{codename}", os_id="debian", codename=codename,
                             why=f"the captured Python is Debian {codename}'s own package")
    if m.python.implementation in (None, "cpython") and m.python.version:
        cn = codename or "bookworm"
        return BaseImage(f"python:{m.python.version}-slim-{cn}", os_id="debian", codename=cn,
                         python=m.python.version, why=f"official image of CPython {m.python.version}")
    return BaseImage(f"debian:{codename or 'bookworm'}", os_id="debian", codename=codename or "bookworm",
                     why="no better match for the captured interpreter")


def describe(ref: str, m: Optional[Manifest] = None) -> BaseImage:
    """What an image name says about the image (for --base-image and the local fallback)."""
    name, _, tag = ref.split("@", 1)[0].rpartition(":") if ":" in ref.split("@", 1)[0].rsplit("/", 1)[-1] \
        else (ref.split("@", 1)[0], "", "latest")
    short = name.rsplit("/", 1)[-1]
    mt = re.fullmatch(r"(\d+\.\d+\.\d+)(?:-slim)?-(\w+)", tag)
    if short == "python" and mt:
        return BaseImage(ref, os_id="debian", codename=mt.group(2), python=mt.group(1), why="given")
    if short == "debian" and tag in _DEBIAN_CODENAMES:
        return BaseImage(ref, os_id="debian", codename=tag, why="given")
    if short == "ubuntu":
        return BaseImage(ref, os_id="ubuntu", codename=_UBUNTU.get(tag, tag), why="given")
    mc = re.match(r"(\d+\.\d+(?:\.\d+)?)-.*-ubuntu(\d+\.\d+)$", tag)
    if short == "cuda" and mc:
        return BaseImage(ref, os_id="ubuntu", codename=_UBUNTU.get(mc.group(2)), cuda=mc.group(1), why="given")
    # Unknown image: assume it is of the captured OS family (the user chose it).
    return BaseImage(ref, os_id=m.os.id if m else None, codename=m.os.codename if m else None, why="given")
