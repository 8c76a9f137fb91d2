"""How the image gets the captured interpreter, and how loudly it says when it cannot."""
from __future__ import annotations

from typing import List, Optional

from ..build.paths import DEFAULT_VENV
from ..model import Manifest
from .base import distro_python_version, is_distro_python
from .model import BaseImage, PythonPlan


def venv_path(m: Manifest) -> str:
    """The venv sits at the captured prefix (same shebangs, same paths in RECORD) when it was one."""
    py = m.python
    if py.env_kind in ("venv", "virtualenv") and py.prefix and py.prefix.startswith("/") and \
            not py.prefix.startswith(("/proc", "/sys", "/dev", "/etc", "/usr/bin")):
        return py.prefix.rstrip("/") or DEFAULT_VENV
    return DEFAULT_VENV


def plan_python(m: Manifest, base: BaseImage) -> PythonPlan:
    py = m.python
    captured = f"{py.implementation or 'python'} {py.version or '?'}"
    venv = venv_path(m)
    conda_note = " (a conda environment: its conda packages are locked in conda-lock.yml but not installed)" \
        if py.env_kind == "conda" else ""
    if base.python:
        exact = base.python == py.version and not is_distro_python(m) and py.env_kind != "conda"
        warn = None if exact else (f"captured {captured} ({py.executable}); the image provides Python "
                                   f"{base.python} from {base.ref}{conda_note}")
        return PythonPlan("image", "/usr/local/bin/python3", venv, (), exact, warn)
    if not base.apt:
        return PythonPlan("image", "python3", venv, (), False,
                          f"captured {captured}; {base.ref} is not a Debian/Ubuntu image: using its python3")
    mm = ".".join((py.version or "3").split(".")[:2])
    deb = distro_python_version(m)
    same_os = base.os_id == m.os.id and (base.codename is None or base.codename == m.os.codename)
    if is_distro_python(m) and deb and same_os and "." in mm:
        # `python3` (the distro's default-version symlink) too: a venv made with `python3 -m venv`
        # writes that name into its scripts' shebangs, and they are part of each RECORD.
        pkgs: List[str] = [f"python{mm}={deb}", f"python{mm}-venv={deb}", "python3"]
        pkgs += [f"{p.name}={p.version}" for p in sorted(m.os.packages, key=lambda p: p.name)
                 if not p.name.startswith(f"python{mm}")]
        return PythonPlan("apt-exact", "/usr/bin/python3", venv, tuple(pkgs), True, None)
    why: Optional[str]
    if is_distro_python(m) and not same_os:
        why = f"captured {captured} from {m.os.pretty_name or m.os.id}; the base {base.ref} is another release"
    else:
        why = f"captured {captured} ({py.executable}); no image of that exact build is available"
    return PythonPlan("apt-distro", "/usr/bin/python3", venv, ("python3", "python3-venv"), False,
                      f"{why}: the image uses the distro's python3 (version decided by the archive){conda_note}")
