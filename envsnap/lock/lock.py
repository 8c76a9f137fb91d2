"""Manifest packages -> requirements.txt (--hash), pylock.toml, conda-lock.yml and a wheelhouse.

Each Python package is sorted into one of three artifact kinds:
  wheelhouse  the artifact exists only on this machine (a wheel installed by path, a find-links
              folder, a file:// index): copied into the build context, sha256-verified;
  index       fetched from the remote index it came from at build time, pinned by hash;
  url         a direct https URL with the hash recorded by pip at install time.
``wheelhouse=True`` turns every index/url artifact into a wheelhouse file too (air-gapped build).
Editable/local-directory/VCS installs cannot be hash-pinned; they are skipped with a reason
(replay mounts the code instead).
"""
from __future__ import annotations

import os
import shutil
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

from ..errors import EnvsnapError, OutputError
from ..fsutil import write_text_atomic
from ..manifest_io import dumps, load_manifest
from ..model import Manifest, Package
from ..redact import Redactor
from . import artifacts as art
from .condalock import render_conda_lock
from .key import lock_key
from .model import LockedPackage, LockResult, SkippedPackage
from .piptools import compile_hashes
from .pylock import render_pylock

DEFAULT_INDEX = "https://pypi.org/simple"


def _skip_reason(p: Package) -> Optional[str]:
    if p.broken:
        return f"broken distribution ({p.broken})"
    if p.editable:
        return "editable install: the code is mounted at replay, not installed"
    if p.source == "vcs":
        return "VCS install: cannot be pinned by artifact hash"
    if p.source == "local" and "archive_info" not in (p.direct_url or {}):
        return "installed from a local directory: the code is mounted at replay, not installed"
    if p.source == "conda":
        return "installed by conda: locked in conda-lock.yml"
    return None


def _file_url_path(url: str) -> Path:
    return Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))


def _place(src: Path, wheelhouse: Path) -> None:
    dest = wheelhouse / src.name
    if dest.exists():
        dest.unlink()
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def _sha(h: str) -> str:
    return f"sha256:{h}"


def _pip_indexes(manifest: Manifest) -> tuple[List[str], List[str]]:
    """(remote indexes in pip's order, local file:// indexes), credentials stripped."""
    cfg = manifest.python.pip_config
    urls = [cfg.index_url or DEFAULT_INDEX, *cfg.extra_index_urls]
    remote: List[str] = []
    local: List[str] = []
    for u in urls:
        u = art.strip_credentials(u)
        (local if u.startswith("file:") else remote).append(u)
    return list(dict.fromkeys(remote)), list(dict.fromkeys(local))


def lock_manifest(
    manifest: Union[Manifest, str, Path],
    out_dir: Union[str, Path],
    *,
    wheelhouse: bool = False,
) -> LockResult:
    """Write requirements.txt, pylock.toml, [conda-lock.yml], wheelhouse/ and lock.json into out_dir."""
    if not isinstance(manifest, Manifest):
        manifest = load_manifest(manifest)
    out = Path(out_dir)
    try:
        (out / "wheelhouse").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(out, f"cannot create: {exc.strerror or exc}") from None
    house = out / "wheelhouse"
    for stale in house.iterdir():
        stale.unlink()
    digest = lock_key(manifest, wheelhouse=wheelhouse)
    warnings: List[str] = []
    skipped: List[SkippedPackage] = []
    cfg = manifest.python.pip_config
    remote, file_indexes = _pip_indexes(manifest)
    dirs = art.local_dirs(cfg.find_links)

    local: Dict[str, LockedPackage] = {}
    urls: Dict[str, LockedPackage] = {}
    index_pkgs: List[Package] = []
    for p in manifest.packages.python:
        why = _skip_reason(p)
        if why:
            skipped.append(SkippedPackage(name=p.name, version=p.version, reason=why))
            continue
        du = p.direct_url or {}
        if p.source in ("local", "url") and "archive_info" in du:
            want = next((h.value for h in p.hashes if h.algorithm == "sha256"), None)
            url = str(du.get("url", ""))
            if url.startswith("file:"):
                path = _file_url_path(url)
                if not path.is_file():
                    raise EnvsnapError(f"{p.name}=={p.version}: installed from {path}, which no longer exists; "
                                       "restore the file or reinstall the package from an index")
                got = art.sha256_file(path)
                if want and got != want:
                    raise EnvsnapError(f"{p.name}=={p.version}: {path} changed since install "
                                       f"(sha256 {got[:12]}..., recorded {want[:12]}...)")
                _place(path, house)
                local[p.name] = LockedPackage(name=p.name, version=p.version, kind="wheelhouse", filename=path.name,
                                              hashes=[_sha(got)], origin=f"local file {path}")
            else:
                if not want:
                    raise EnvsnapError(f"{p.name}=={p.version}: installed from {url} with no sha256 recorded; "
                                       "cannot pin it by hash")
                urls[p.name] = LockedPackage(name=p.name, version=p.version, kind="url", url=art.strip_credentials(url),
                                             filename=url.rsplit("/", 1)[-1], hashes=[_sha(want)], origin=f"url {url}")
            continue
        found = art.find_local_wheel(p.name, p.version, p.wheel_tags, dirs, file_indexes)
        if found:
            path, where = found
            _place(path, house)
            local[p.name] = LockedPackage(name=p.name, version=p.version, kind="wheelhouse", filename=path.name,
                                          hashes=[_sha(art.sha256_file(path))], origin=where)
            continue
        if "+" in p.version and not remote:
            raise EnvsnapError(f"{p.name}=={p.version}: local build not found in find-links {cfg.find_links} "
                               "and no remote index configured")
        index_pkgs.append(p)

    # Hashes from pip-compile over every pin (local ones resolve from the wheelhouse, so the
    # resolver never looks for them on a remote index).
    pins = [(p.name, p.version) for p in index_pkgs] + [(lp.name, lp.version) for lp in local.values()]
    compiled = compile_hashes(pins, index_url=remote[0] if remote else None, extra_index_urls=remote[1:],
                              find_links=[str(house)]) if index_pkgs else {}

    # Which index each artifact came from, and which of its files was installed.
    with ThreadPoolExecutor(max_workers=8) as pool:
        listings = {
            p.name: dict(zip(remote, pool.map(lambda u, n=p.name: art.index_project_files(u, n), remote)))
            for p in index_pkgs
        }
    files_by_pkg: Dict[str, List[art.IndexFile]] = {}
    locked: List[LockedPackage] = list(local.values()) + list(urls.values())
    for p in index_pkgs:
        version, hashes = compiled.get(p.name, (None, []))
        if version != p.version or not hashes:
            raise EnvsnapError(f"{p.name}=={p.version}: pip-compile found no hashed artifact on {', '.join(remote)}")
        origin_index, chosen = None, None
        for idx, files in listings[p.name].items():
            matching = [f for f in files if f.sha256 and _sha(f.sha256) in hashes]
            if matching:
                origin_index = origin_index or idx
                files_by_pkg.setdefault(p.name, []).extend(matching)
                chosen = chosen or art.pick_index_file(matching, p.name, p.version, p.wheel_tags)
        if chosen is not None and chosen.sha256:
            keep = [_sha(chosen.sha256)]
        else:
            keep = hashes
            warnings.append(f"{p.name}=={p.version}: installed artifact not identified on the index "
                            f"(tags {', '.join(p.wheel_tags) or 'unknown'}); all {len(hashes)} hashes allowed")
        lp = LockedPackage(name=p.name, version=p.version, kind="index", index_url=origin_index or remote[0],
                           url=chosen.url if chosen else None, filename=chosen.filename if chosen else None,
                           hashes=keep, origin=f"index {origin_index or remote[0]}")
        if wheelhouse:
            lp = _bundle(lp, house)
        locked.append(lp)
    if wheelhouse:
        locked = [_bundle(lp, house) if lp.kind == "url" else lp for lp in locked]

    locked.sort(key=lambda lp: lp.name)
    index_urls = sorted({lp.index_url for lp in locked if lp.kind == "index" and lp.index_url},
                        key=lambda u: remote.index(u) if u in remote else len(remote))
    pylock, pw = render_pylock(locked, python_version=manifest.python.version, inputs_sha256=digest,
                               files=files_by_pkg)
    warnings += pw
    conda_yml = None
    if manifest.packages.conda:
        conda_yml, conda_skipped = render_conda_lock(manifest.packages.conda, platform=_conda_platform(manifest),
                                                     inputs_sha256=digest)
        skipped += [SkippedPackage(name=n, version=v, reason=r) for n, v, r in conda_skipped]
    result = LockResult(
        inputs_sha256=digest, packages=locked, skipped=sorted(skipped, key=lambda s: s.name),
        wheelhouse=sorted(lp.filename for lp in locked if lp.kind == "wheelhouse" and lp.filename),
        index_urls=index_urls, requirements_txt=render_requirements(locked, index_urls),
        pylock_toml=pylock, conda_lock_yml=conda_yml, warnings=warnings, directory=str(out),
    )
    _write(result, out)
    return result


def _bundle(lp: LockedPackage, house: Path) -> LockedPackage:
    """Download an index/url artifact into the wheelhouse, verified against its pinned hash."""
    if not lp.url or len(lp.hashes) != 1:
        raise EnvsnapError(f"{lp.name}=={lp.version}: cannot bundle into the wheelhouse: the installed artifact "
                           "was not identified on its index")
    fn = lp.filename or lp.url.rsplit("/", 1)[-1]
    want = lp.hashes[0].split(":", 1)[1]
    try:
        art.download(lp.url, house / fn, want)
    except (OSError, ValueError) as exc:
        raise EnvsnapError(f"{lp.name}=={lp.version}: cannot download {fn} for the wheelhouse: {exc}") from None
    return lp.model_copy(update={"kind": "wheelhouse", "filename": fn, "origin": f"{lp.origin} (bundled)"})


def _conda_platform(manifest: Manifest) -> str:
    arch = {"x86_64": "64", "aarch64": "aarch64", "ppc64le": "ppc64le"}.get(manifest.host.arch or "", "64")
    return f"linux-{arch}"


def render_requirements(packages: Sequence[LockedPackage], index_urls: Sequence[str]) -> str:
    # No manifest hash here: this file feeds the pip layer, which must stay cached when only
    # other parts of the manifest change. (pylock.toml and lock.json carry the hash.)
    lines = [
        "# envsnap lock: every package pinned to its exact version and installed artifact; install without resolution:",
        "#   pip install --no-deps --require-hashes --find-links wheelhouse -r requirements.txt",
    ]
    lines += [f"# index: {u}" for u in index_urls]
    for lp in packages:
        head = f"{lp.name} @ {lp.url}" if lp.kind == "url" else f"{lp.name}=={lp.version}"
        lines.append(" \\\n".join([head] + [f"    --hash={h}" for h in lp.hashes]))
    return "\n".join(lines) + "\n"


def _write(result: LockResult, out: Path) -> None:
    red = Redactor()
    write_text_atomic(out / "requirements.txt", red.text(result.requirements_txt))
    write_text_atomic(out / "pylock.toml", red.text(result.pylock_toml))
    if result.conda_lock_yml:
        write_text_atomic(out / "conda-lock.yml", red.text(result.conda_lock_yml))
    elif (out / "conda-lock.yml").exists():
        (out / "conda-lock.yml").unlink()
    write_text_atomic(out / "lock.json", dumps(result, red))
