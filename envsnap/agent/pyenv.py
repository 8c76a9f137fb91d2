"""The interpreter, its pip configuration, and every installed distribution."""
import configparser
import json
import os
import re
import sys
import sysconfig

from .util import read_text

_NORM = re.compile(r"[-_.]+")


def normalize(name):
    return _NORM.sub("-", name).lower()


def env_kind():
    if os.path.isdir(os.path.join(sys.prefix, "conda-meta")):
        return "conda"
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        cfg = read_text(os.path.join(sys.prefix, "pyvenv.cfg"), "") or ""
        return "virtualenv" if "virtualenv" in cfg else "venv"
    return "system"


def wheel_tags():
    """Most specific tags first; pip's vendored `packaging` when present, else derived."""
    try:
        from pip._vendor.packaging import tags  # pure data, cheap to import
        return [str(t) for t in list(tags.sys_tags())[:8]]
    except Exception:  # noqa: BLE001
        soabi = sysconfig.get_config_var("SOABI") or ""
        plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        impl = "cp%d%d" % sys.version_info[:2]
        return ["%s-%s-%s" % (impl, soabi.split("-")[0] if soabi else impl, plat)]


# pip's configuration files, in the order pip loads them (later wins). Reading them with
# configparser costs ~1 ms; importing pip._internal.configuration costs ~300 ms.
def _pip_config_files():
    files = []
    if os.environ.get("PIP_CONFIG_FILE"):
        files.append(("PIP_CONFIG_FILE", os.environ["PIP_CONFIG_FILE"]))
    xdg_dirs = os.environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":")
    for d in xdg_dirs:
        files.append(("global", os.path.join(d, "pip", "pip.conf")))
    files.append(("global", "/etc/pip.conf"))
    home = os.path.expanduser("~")
    files.append(("user", os.path.join(home, ".pip", "pip.conf")))
    xdg_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files.append(("user", os.path.join(xdg_home, "pip", "pip.conf")))
    files.append(("site", os.path.join(sys.prefix, "pip.conf")))
    return files


def pip_config():
    settings = {}
    sources = {}
    for kind, path in _pip_config_files():
        if not os.path.isfile(path):
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except Exception:  # noqa: BLE001
            continue
        for section in ("global", "install", "download"):
            if parser.has_section(section):
                for key, value in parser.items(section):
                    settings[key] = value
                    sources[key] = "%s:%s" % (kind, path)
    for key, value in os.environ.items():
        if key.startswith("PIP_") and key not in ("PIP_CONFIG_FILE",):
            name = key[4:].lower().replace("_", "-")
            settings[name] = value
            sources[name] = "env:" + key

    def split(v):
        return [x for x in re.split(r"\s+", v or "") if x]

    return {
        "index_url": settings.get("index-url"),
        "extra_index_urls": split(settings.get("extra-index-url")),
        "find_links": split(settings.get("find-links")),
        "trusted_hosts": split(settings.get("trusted-host")),
        "sources": {k: sources[k] for k in sorted(sources) if k in (
            "index-url", "extra-index-url", "find-links", "trusted-host")},
    }


def python_info():
    try:
        import pip
        pip_version = pip.__version__
    except Exception:  # noqa: BLE001
        pip_version = None
    impl = sys.implementation
    return {
        "implementation": impl.name,
        "version": "%d.%d.%d" % sys.version_info[:3] + ("" if sys.version_info[3] == "final" else
                                                        "%s%d" % (sys.version_info[3][0], sys.version_info[4])),
        "build": sys.version.replace("\n", " "),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "env_kind": env_kind(),
        "platform": sysconfig.get_platform(),
        "soabi": sysconfig.get_config_var("SOABI"),
        "tags": wheel_tags(),
        "pip_version": pip_version,
        "pip_config": pip_config(),
    }


def _headers(text):
    """Name and Version from METADATA's header block. dist.metadata runs the email parser
    over the whole file (long descriptions included): 10x slower for what capture needs."""
    out = {}
    for line in (text or "").splitlines():
        if not line.strip():
            break
        if line[:1] in (" ", "\t") or ":" not in line:
            continue
        key, value = line.split(":", 1)
        key = key.strip().lower()
        if key in ("name", "version") and key not in out:
            out[key] = value.strip()
    return out


def _has_file(dist, name):
    path = getattr(dist, "_path", None)  # PathDistribution: avoid reading a multi-MB RECORD
    if path is not None:
        return os.path.exists(os.path.join(str(path), name))
    return dist.read_text(name) is not None


def _dist_record(dist, pip_cfg):
    meta = _headers(dist.read_text("METADATA") or dist.read_text("PKG-INFO"))
    name = meta.get("name")
    if not name:
        path = getattr(dist, "_path", None)
        return {"name": normalize(os.path.basename(str(path or "unknown")).split("-")[0]),
                "version": "0", "broken": "metadata has no Name (%s)" % path}
    rec = {"name": normalize(name), "version": meta.get("version") or ""}
    broken = []
    if not rec["version"]:
        broken.append("metadata has no Version")
    installer = dist.read_text("INSTALLER")
    rec["installer"] = installer.strip() if installer else None
    rec["requested"] = _has_file(dist, "REQUESTED")
    loc = getattr(dist, "_path", None)
    rec["location"] = str(loc.parent) if loc is not None else None
    wheel = dist.read_text("WHEEL")
    tags = []
    if wheel:
        for line in wheel.splitlines():
            if line.startswith("Tag:"):
                tags.append(line.split(":", 1)[1].strip())
    rec["wheel_tags"] = tags
    direct = dist.read_text("direct_url.json")
    hashes = []
    editable = False
    source = "index"
    if direct:
        try:
            du = json.loads(direct)
        except ValueError as exc:
            broken.append("direct_url.json unreadable: %s" % exc)
            du = None
        rec["direct_url"] = du
        if isinstance(du, dict):
            url = du.get("url", "")
            if "vcs_info" in du:
                source = "vcs"
            elif "dir_info" in du:
                editable = bool(du["dir_info"].get("editable"))
                source = "editable" if editable else "local"
            elif "archive_info" in du:
                source = "local" if url.startswith("file:") else "url"
                info = du["archive_info"]
                for algo, value in sorted((info.get("hashes") or {}).items()):
                    hashes.append({"algorithm": algo, "value": value, "source": "direct_url",
                                   "filename": url.rsplit("/", 1)[-1] or None})
                if not hashes and info.get("hash") and "=" in info["hash"]:
                    algo, value = info["hash"].split("=", 1)
                    hashes.append({"algorithm": algo, "value": value, "source": "direct_url",
                                   "filename": url.rsplit("/", 1)[-1] or None})
    if rec["installer"] == "conda" and not direct:
        source = "conda"
    if source == "index":
        rec["index_url"] = pip_cfg.get("index_url") or "https://pypi.org/simple"
    rec["source"] = source
    rec["editable"] = editable
    rec["hashes"] = hashes
    if rec["installer"] not in (None, "conda") and not _has_file(dist, "RECORD"):
        broken.append("no RECORD file (half-installed?)")
    if broken:
        rec["broken"] = "; ".join(broken)
    return rec


def packages(pip_cfg):
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover - Python 3.7
        return {"status": "error", "reason": "importlib.metadata unavailable (Python < 3.8)"}
    seen = {}  # type: dict
    for dist in metadata.distributions():
        try:
            rec = _dist_record(dist, pip_cfg)
        except Exception as exc:  # noqa: BLE001 - a broken dist-info is recorded, never fatal
            path = getattr(dist, "_path", "?")
            rec = {"name": normalize(os.path.basename(str(path)).split("-")[0]), "version": "0",
                   "broken": "%s: %s" % (type(exc).__name__, exc)}
        # First on sys.path wins, as at import time.
        seen.setdefault(rec["name"], rec)
    out = {"python": [seen[k] for k in sorted(seen)], "conda": [], "conda_prefix": None}  # type: dict
    conda_meta = os.path.join(sys.prefix, "conda-meta")
    if os.path.isdir(conda_meta):
        out["conda_prefix"] = sys.prefix
        out["conda"] = conda_packages(conda_meta)
    return out


def conda_packages(conda_meta):
    pkgs = []
    for fn in sorted(os.listdir(conda_meta)):
        if not fn.endswith(".json"):
            continue
        try:
            with open(os.path.join(conda_meta, fn), "r", encoding="utf-8") as fh:
                rec = json.load(fh)
        except (OSError, ValueError):
            continue
        channel = (rec.get("channel") or "").rstrip("/")
        subdir = rec.get("subdir") or ""
        if subdir and channel.endswith("/" + subdir):
            channel = channel[: -len(subdir) - 1]
        for host in ("https://conda.anaconda.org/", "https://repo.anaconda.com/pkgs/"):
            if channel.startswith(host):
                channel = channel[len(host):]
        pkgs.append({
            "name": rec.get("name"), "version": rec.get("version"), "build": rec.get("build"),
            "channel": channel or None,
            "subdir": rec.get("subdir"), "url": rec.get("url"), "md5": rec.get("md5"),
            "sha256": rec.get("sha256"),
        })
    return pkgs
