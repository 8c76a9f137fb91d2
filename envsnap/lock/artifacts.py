"""Where a package's artifact lives: local files (find-links folders, file:// indexes, wheel
files installed by path) and the files a remote simple index lists (PEP 691 JSON or HTML)."""
from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from packaging.tags import parse_tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from ..redact import MARKER_RE

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class IndexFile:
    filename: str
    url: str  # absolute (https:// or file://)
    sha256: Optional[str]


def strip_credentials(url: str) -> str:
    """Drop userinfo (and redaction markers left in its place) from a URL."""
    parts = urllib.parse.urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    return MARKER_RE.sub("", urllib.parse.urlunsplit(parts))


def wheel_matches(filename: str, name: str, version: str, wheel_tags: Sequence[str]) -> bool:
    """A wheel of exactly ``name==version`` whose tags are the ones recorded at install time."""
    try:
        wname, wver, _build, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    if canonicalize_name(wname) != canonicalize_name(name) or str(wver) != version:
        return False
    if not wheel_tags:
        return True
    wanted = set()
    for t in wheel_tags:
        try:
            wanted |= set(parse_tag(t))
        except ValueError:
            continue
    return set(tags) == wanted if wanted else True


def is_sdist_of(filename: str, name: str, version: str) -> bool:
    norm = canonicalize_name(name).replace("-", "_")
    stem = re.sub(r"\.(tar\.gz|zip|tar\.bz2)$", "", filename)
    if stem == filename or "-" not in stem:
        return False
    sname, _, sver = stem.rpartition("-")
    return canonicalize_name(sname).replace("-", "_") == norm and sver == version


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: List[str] = []

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def _files_from_links(base: str, hrefs: Iterable[str]) -> List[IndexFile]:
    out = []
    for href in hrefs:
        url = urllib.parse.urljoin(base, href)
        path, _, frag = url.partition("#")
        fn = urllib.parse.unquote(path.rsplit("/", 1)[-1])
        digest = frag[len("sha256="):] if frag.startswith("sha256=") else None
        out.append(IndexFile(fn, path, digest))
    return out


def _fetch(url: str, timeout: float = 60.0) -> tuple[str, bytes, str]:
    req = urllib.request.Request(url, headers={
        "Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1",
        "User-Agent": "envsnap",
    })
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.headers.get("Content-Type", ""), resp.read(), resp.geturl()


def index_project_files(index_url: str, name: str) -> List[IndexFile]:
    """Files the simple index at ``index_url`` lists for ``name``; [] when it has none / is down."""
    base = index_url.rstrip("/") + "/" + canonicalize_name(name) + "/"
    if base.startswith("file:"):
        local = Path(urllib.request.url2pathname(urllib.parse.urlsplit(base).path))
        page = local / "index.html"
        if not page.is_file():
            return []
        parser = _Links()
        parser.feed(page.read_text("utf-8", "replace"))
        return _files_from_links(page.as_uri(), parser.links)
    try:
        ctype, body, final = _fetch(base)
    except (OSError, ValueError):
        return []
    if "json" in ctype:
        try:
            data = json.loads(body)
        except ValueError:
            return []
        return [
            IndexFile(f["filename"], urllib.parse.urljoin(final, f["url"]), (f.get("hashes") or {}).get("sha256"))
            for f in data.get("files", []) if isinstance(f, dict) and "filename" in f and "url" in f
        ]
    parser = _Links()
    parser.feed(body.decode("utf-8", "replace"))
    return _files_from_links(final, parser.links)


def local_dirs(find_links: Sequence[str]) -> List[Path]:
    """find-links entries that are local folders."""
    out = []
    for entry in find_links:
        if entry.startswith("file:"):
            entry = urllib.request.url2pathname(urllib.parse.urlsplit(entry).path)
        if "://" in entry:
            continue
        p = Path(entry)
        if p.is_dir():
            out.append(p)
    return out


def find_local_wheel(
    name: str, version: str, wheel_tags: Sequence[str], dirs: Sequence[Path], file_indexes: Sequence[str]
) -> Optional[tuple[Path, str]]:
    """The local artifact of name==version with the recorded tags: (path, where it was found)."""
    for d in dirs:
        try:
            entries = sorted(os.listdir(d))
        except OSError:
            continue
        for fn in entries:
            if wheel_matches(fn, name, version, wheel_tags):
                return d / fn, f"find-links {d}"
    for idx in file_indexes:
        for f in index_project_files(idx, name):
            if wheel_matches(f.filename, name, version, wheel_tags) and f.url.startswith("file:"):
                path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(f.url).path))
                if path.is_file():
                    return path, f"index {idx}"
    return None


def pick_index_file(files: Sequence[IndexFile], name: str, version: str,
                    wheel_tags: Sequence[str]) -> Optional[IndexFile]:
    """The index artifact that was installed: the wheel with the recorded tags (else the sdist)."""
    wheels = [f for f in files if wheel_matches(f.filename, name, version, wheel_tags)]
    if wheels:
        return sorted(wheels, key=lambda f: f.filename)[0]
    if not wheel_tags:
        sdists = [f for f in files if is_sdist_of(f.filename, name, version)]
        return sorted(sdists, key=lambda f: f.filename)[0] if sdists else None
    return None


def download(url: str, dest: Path, sha256: Optional[str]) -> str:
    """Fetch ``url`` into ``dest`` (temp file + rename), verifying sha256 when given."""
    tmp = dest.with_name(dest.name + ".part")
    h = hashlib.sha256()
    req = urllib.request.Request(url, headers={"User-Agent": "envsnap"})
    with urllib.request.urlopen(req, timeout=300) as resp, open(tmp, "wb") as out:
        for block in iter(lambda: resp.read(_CHUNK), b""):
            h.update(block)
            out.write(block)
    digest = h.hexdigest()
    if sha256 and digest != sha256:
        tmp.unlink(missing_ok=True)
        raise ValueError(f"sha256 mismatch for {url}: expected {sha256}, got {digest}")
    os.replace(tmp, dest)
    return digest


def group_hashes(files: Sequence[IndexFile]) -> Dict[str, IndexFile]:
    return {f.sha256: f for f in files if f.sha256}
