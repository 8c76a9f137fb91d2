"""Host, operating system (with the packages owning loaded libraries) and CPU."""
import glob
import os
import platform
import re
import socket
import subprocess

from .util import read_text, skipped

NUMERIC_ISA = re.compile(r"^(sse\d?|ssse3|sse4_[12]|avx.*|fma|fma4|f16c|amx.*|bmi\d|popcnt|"
                         r"asimd.*|sve.*|neon|fp16|bf16|vnni|avx512.*)$")


def host():
    container = None
    if os.path.exists("/.dockerenv"):
        container = "docker"
    elif os.path.exists("/run/.containerenv"):
        container = "podman"
    elif os.environ.get("KUBERNETES_SERVICE_HOST"):
        container = "kubernetes"
    else:
        cg = read_text("/proc/1/cgroup", "") or ""
        for key in ("docker", "kubepods", "lxc", "containerd"):
            if key in cg:
                container = key
                break
    virt = None
    cpuinfo = read_text("/proc/cpuinfo", "") or ""
    if re.search(r"^flags\s*:.*\bhypervisor\b", cpuinfo, re.M):
        vendor = (read_text("/sys/class/dmi/id/sys_vendor", "") or "").strip()
        product = (read_text("/sys/class/dmi/id/product_name", "") or "").strip()
        virt = " ".join(x for x in (vendor, product) if x) or "hypervisor"
    return {"arch": platform.machine(), "hostname": socket.gethostname(), "kernel": platform.release(),
            "container": container, "virtualization": virt}


def _os_release():
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        text = read_text(path)
        if text:
            info = {}
            for line in text.splitlines():
                if "=" in line and not line.startswith("#"):
                    k, v = line.split("=", 1)
                    info[k.strip()] = v.strip().strip('"').strip("'")
            return info
    return {}


def libc():
    try:
        v = os.confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.36"
        if v:
            return v
    except (ValueError, OSError, AttributeError):
        pass
    name, ver = platform.libc_ver()
    return ("%s %s" % (name, ver)).strip() or None


def loaded_libraries():
    """Shared objects mapped into this process (after the agent imported what it inspects)."""
    libs = set()
    text = read_text("/proc/self/maps", "") or ""
    for line in text.splitlines():
        parts = line.split(None, 5)
        if len(parts) == 6 and ".so" in parts[5]:
            libs.add(parts[5].strip())
    return sorted(libs)


def _dpkg_status():
    text = read_text("/var/lib/dpkg/status")
    if text is None:
        return None
    pkgs = {}  # type: dict
    for block in text.split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if line and not line[0].isspace() and ":" in line:
                k, v = line.split(":", 1)
                fields[k] = v.strip()
        if fields.get("Package") and "installed" in fields.get("Status", ""):
            arch = fields.get("Architecture")
            rec = {"name": fields["Package"], "version": fields.get("Version", ""), "arch": arch}
            # dpkg names file lists "pkg.list" or "pkg:arch.list" (multi-arch same): index both.
            pkgs.setdefault(fields["Package"], rec)
            if arch:
                pkgs[fields["Package"] + ":" + arch] = rec
    return pkgs


def _dpkg_owners(paths, status):
    """Which packages own these files: scan dpkg's file lists (merged-/usr aware)."""
    wanted = set()
    for p in paths:
        for cand in (p, os.path.realpath(p)):
            wanted.add(cand)
            if cand.startswith("/usr/"):
                wanted.add(cand[4:])  # dpkg lists /lib/... on merged-/usr systems
            else:
                wanted.add("/usr" + cand)
    needles = {w.encode() for w in wanted}
    owners = set()
    for lst in glob.glob("/var/lib/dpkg/info/*.list"):
        try:
            with open(lst, "rb") as fh:
                lines = fh.read().split(b"\n")
        except OSError:
            continue
        if needles.intersection(lines):
            owners.add(os.path.basename(lst)[:-5])
    out = {}
    for key in sorted(owners):
        rec = status.get(key) or status.get(key.split(":")[0])
        if rec:
            out[(rec["name"], rec["arch"])] = rec
    return [out[k] for k in sorted(out)]


def _rpm_owners(paths):
    try:
        res = subprocess.run(["rpm", "-qf", "--qf", "%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n"] + list(paths),
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    out = {}
    for line in res.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            out[parts[0]] = {"name": parts[0], "version": parts[1], "arch": parts[2]}
    return [out[k] for k in sorted(out)]


def os_info(libs):
    rel = _os_release()
    info = {
        "id": rel.get("ID"), "version_id": rel.get("VERSION_ID"),
        "codename": rel.get("VERSION_CODENAME") or None, "pretty_name": rel.get("PRETTY_NAME"),
        "libc": libc(), "package_manager": None, "packages": [], "packages_scope": None,
    }
    if platform.system() != "Linux":
        info["packages_scope"] = "not collected: %s has no dpkg/rpm database" % platform.system()
        return info
    # Files owned by system packages: loaded libraries outside site-packages, plus python itself.
    import sys
    system_files = [p for p in libs if "site-packages" not in p and "dist-packages" not in p]
    system_files.append(os.path.realpath(sys.executable))
    status = _dpkg_status()
    if status is not None:
        info["package_manager"] = "dpkg"
        info["packages"] = _dpkg_owners(system_files, status)
        info["packages_scope"] = "dpkg packages owning the interpreter and the shared libraries it loaded"
    elif os.path.isdir("/var/lib/rpm") or os.path.isdir("/usr/lib/sysimage/rpm"):
        info["package_manager"] = "rpm"
        pk = _rpm_owners(system_files)
        info["packages"] = pk or []
        info["packages_scope"] = ("rpm packages owning the interpreter and the shared libraries it loaded"
                                  if pk is not None else "rpm query failed")
    elif os.path.isfile("/lib/apk/db/installed"):
        info["package_manager"] = "apk"
        info["packages_scope"] = "apk database present; owners not resolved"
    return info


def _size_to_str(s):
    return s.strip()


def cpu():
    text = read_text("/proc/cpuinfo")
    if text is None:
        return skipped("no /proc/cpuinfo (non-Linux): the host side fills this with py-cpuinfo")
    first = {}  # type: dict
    physical = set()
    cur = {}  # type: dict
    for line in text.splitlines() + [""]:
        if not line.strip():
            if cur:
                if not first:
                    first = cur
                physical.add((cur.get("physical id"), cur.get("core id")))
            cur = {}
            continue
        if ":" in line:
            k, v = line.split(":", 1)
            cur[k.strip()] = v.strip()
    flags = sorted(set((first.get("flags") or first.get("Features") or "").split()))

    def as_int(v):
        try:
            return int(v, 0)
        except (TypeError, ValueError):
            return None

    caches = {}
    for idx in sorted(glob.glob("/sys/devices/system/cpu/cpu0/cache/index*")):
        level = (read_text(os.path.join(idx, "level"), "") or "").strip()
        ctype = (read_text(os.path.join(idx, "type"), "") or "").strip()
        size = (read_text(os.path.join(idx, "size"), "") or "").strip()
        if level and size:
            label = "L%s%s" % (level, {"Data": "d", "Instruction": "i"}.get(ctype, ""))
            caches[label] = size
    mem = None
    for line in (read_text("/proc/meminfo", "") or "").splitlines():
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) * 1024
    try:
        available = len(os.sched_getaffinity(0))  # type: int | None
    except (AttributeError, OSError):
        available = os.cpu_count()
    none_phys = (None, None) in physical
    return {
        "model": first.get("model name") or first.get("Model") or first.get("cpu model"),
        "vendor": first.get("vendor_id") or first.get("CPU implementer"),
        "arch": platform.machine(),
        "family": as_int(first.get("cpu family")),
        "model_id": as_int(first.get("model")),
        "stepping": as_int(first.get("stepping")),
        "isa": [f for f in flags if NUMERIC_ISA.match(f)],
        "flags": flags,
        "cores_logical": os.cpu_count(),
        "cores_physical": None if none_phys else len(physical),
        "cores_available": available,
        "caches": caches,
        "memory_total_bytes": mem,
    }
