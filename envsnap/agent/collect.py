"""``capture``: collect every section in the target interpreter and print one JSON object."""
import json
import os
import sys
import threading

from . import blas, gitinfo, gpu, pyenv, system
from .util import Timer


def collect(cwd=None):
    t = Timer()
    out = {}
    # The NVML query can take ~100 ms on a GPU host; run it beside the rest.
    nv_box = {}  # type: dict
    nv_thread = threading.Thread(target=lambda: nv_box.update(r=t.section("nvidia", gpu.nvidia)))
    nv_thread.daemon = True
    nv_thread.start()

    py = t.section("python", pyenv.python_info)
    out["python"] = py
    out["packages"] = t.section("packages", pyenv.packages, py.get("pip_config") or {})
    out["host"] = t.section("host", system.host)
    out["cpu"] = t.section("cpu", system.cpu)
    # numpy is imported here so that its BLAS shows in threadpoolctl and /proc/self/maps.
    out["blas"] = t.section("blas", blas.blas)
    libs = system.loaded_libraries()
    out["os"] = t.section("os", system.os_info, libs)
    site_dirs = [p for p in sys.path if p and os.path.isdir(p) and ("site-packages" in p or "dist-packages" in p)]
    pkgs = (out["packages"] or {}).get("python") or []
    out["cuda"] = t.section("cuda", gpu.cuda, pkgs, libs, site_dirs)
    out["numerics"] = {"env": blas.numerics_env(), "flags": {}}
    out["env"] = dict(os.environ)
    out["git"] = t.section("git", gitinfo.git, cwd)
    nv_thread.join(60)
    out["nvidia"] = nv_box.get("r") or {"status": "error", "reason": "NVML query timed out"}
    out["durations_ms"] = t.durations
    return out


def main(argv):
    cwd = None
    if argv and argv[0] == "--cwd":
        cwd = argv[1]
    data = collect(cwd)
    sys.stdout.write(json.dumps(data, sort_keys=True, default=str))
    sys.stdout.write("\n")
    return 0
