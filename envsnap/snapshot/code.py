"""Code state: git commit + the uncommitted patch (untracked files included), or, outside
git, a deterministic tarball of the working tree honouring .gitignore.

The patch is made with a temporary index (``git add -A`` against HEAD), so the user's own
index is never touched and untracked-but-not-ignored files are in it, binary-safe. Declared
data and output paths are excluded: data is fingerprinted, not copied; outputs are products.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Sequence

from ..errors import InputError
from ..model import CodeState
from ..redact import Redactor
from . import layout
from .snapshot import is_snapshot

if TYPE_CHECKING:
    from .snapshot import Snapshot



@dataclass(frozen=True)
class CapturedCode:
    state: CodeState
    payload: Optional[bytes]  # bytes of code/patch.diff or code/worktree.tar.gz


def _git(args: Sequence[str], cwd: Path, *, env: Optional[dict] = None, check: bool = True) -> Optional[bytes]:
    try:
        res = subprocess.run(
            ["git", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
    except OSError:
        return None
    if res.returncode != 0 and check:
        return None
    return res.stdout


def git_root(cwd: Path) -> Optional[Path]:
    if shutil.which("git") is None:
        return None
    out = _git(["rev-parse", "--show-toplevel"], cwd)
    return Path(out.decode().strip()) if out else None


def _rel(path: Path, root: Path) -> Optional[str]:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _excludes(root: Path, cwd: Path, data: Sequence[Path], outputs: Sequence[str]) -> List[str]:
    """Root-relative paths and globs that are not code."""
    out: List[str] = []
    for d in data:
        rel = _rel(d if d.is_absolute() else cwd / d, root)
        if rel:
            out.append(rel)
    cwd_rel = _rel(cwd, root) or "."
    for pattern in outputs:
        if not os.path.isabs(pattern):
            out.append(pattern if cwd_rel == "." else f"{cwd_rel}/{pattern}")
    return out


def _untracked_snapshots(root: Path) -> List[str]:
    out = _git(["ls-files", "--others", "--exclude-standard", "--directory", "-z"], root) or b""
    dirs = [d for d in out.decode("utf-8", "surrogateescape").split("\0") if d.endswith("/")]
    return [d.rstrip("/") for d in dirs if is_snapshot(root / d)]


def capture_code(
    cwd: Path, *, data: Sequence[Path] = (), outputs: Sequence[str] = (), redactor: Redactor
) -> CapturedCode:
    root = git_root(cwd)
    if root is not None:
        excludes = _excludes(root, cwd, data, outputs) + _untracked_snapshots(root)
        got = _capture_git(root, cwd, excludes, redactor)
        if got is not None:
            return got
    return _capture_tarball(cwd, _excludes(cwd, cwd, data, outputs))


def _capture_git(root: Path, cwd: Path, excludes: List[str], redactor: Redactor) -> Optional[CapturedCode]:
    head = _git(["rev-parse", "--verify", "-q", "HEAD^{commit}"], root)
    if not head:
        return None  # a repository without commits: nothing to diff against
    commit = head.decode().strip()
    branch = (_git(["rev-parse", "--abbrev-ref", "HEAD"], root) or b"").decode().strip() or None
    remote = (_git(["config", "--get", "remote.origin.url"], root) or b"").decode().strip() or None
    with tempfile.TemporaryDirectory(prefix="envsnap-index-") as tmp:
        env = dict(os.environ, GIT_INDEX_FILE=os.path.join(tmp, "index"))
        _git(["read-tree", "HEAD"], root, env=env)
        spec = ["--", "."] + [f":(exclude,glob){e}" for e in excludes] + [f":(exclude){e}" for e in excludes]
        _git(["add", "-A", *spec], root, env=env)
        patch = _git(["diff", "--cached", "--binary", "--no-color", "--no-ext-diff", "HEAD"], root, env=env)
    if patch is None:
        return None
    state = CodeState(
        kind="git",
        root=str(root),
        commit=commit,
        branch=None if branch == "HEAD" else branch,
        dirty=bool(patch),
        remote=redactor.text(remote) if remote else None,
        patch=layout.PATCH if patch else None,
        sha256=hashlib.sha256(patch).hexdigest() if patch else None,
        cwd=_rel(cwd, root) or ".",
    )
    return CapturedCode(state, patch or None)


def _ignore_matcher(root: Path):
    """A gitignore matcher for a plain folder (nested .gitignore files honoured)."""
    import pathspec

    specs: dict = {}

    def spec_for(d: Path):
        if d not in specs:
            gi = d / ".gitignore"
            specs[d] = (
                pathspec.GitIgnoreSpec.from_lines(gi.read_text(errors="replace").splitlines()) if gi.is_file() else None
            )
        return specs[d]

    def ignored(path: Path, is_dir: bool) -> bool:
        # A path is ignored if any .gitignore between root and its folder matches it.
        d = path.parent
        chain = []
        while True:
            chain.append(d)
            if d == root or root not in d.parents:
                break
            d = d.parent
        for base in chain:
            spec = spec_for(base)
            if spec is None:
                continue
            rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
            if spec.match_file(rel):
                return True
        return False

    return ignored


def worktree_files(root: Path, excludes: Sequence[str] = ()) -> List[Path]:
    import pathspec

    extra = pathspec.GitIgnoreSpec.from_lines(list(excludes))
    ignored = _ignore_matcher(root)
    files: List[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        keep = []
        for name in sorted(dirnames):
            p = here / name
            rel = p.relative_to(root).as_posix()
            if name == ".git" or (p.is_symlink() and not p.exists()) or is_snapshot(p):
                continue
            if extra.match_file(rel + "/") or extra.match_file(rel) or ignored(p, True):
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            p = here / name
            rel = p.relative_to(root).as_posix()
            if extra.match_file(rel) or ignored(p, False):
                continue
            files.append(p)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def deterministic_tar_gz(root: Path, files: Sequence[Path]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for p in files:
            info = tar.gettarinfo(str(p), arcname=p.relative_to(root).as_posix())
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            info.mode = 0o755 if info.mode & 0o111 else 0o644
            if info.isreg():
                with open(p, "rb") as fh:
                    tar.addfile(info, fh)
            elif info.issym():
                tar.addfile(info)
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=6) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def _capture_tarball(cwd: Path, excludes: List[str]) -> CapturedCode:
    data = deterministic_tar_gz(cwd, worktree_files(cwd, excludes))
    state = CodeState(
        kind="tarball", root=str(cwd), tarball=layout.TARBALL, sha256=hashlib.sha256(data).hexdigest(), cwd="."
    )
    return CapturedCode(state, data)


# --- restore (replay) ----------------------------------------------------------------------


def _safe_extract(tar: tarfile.TarFile, dest: Path) -> None:
    try:
        tar.extractall(dest, filter="data")
    except TypeError:  # Python without extraction filters
        for m in tar.getmembers():
            target = (dest / m.name).resolve()
            if dest.resolve() not in target.parents and target != dest.resolve():
                raise InputError(m.name, "unsafe path in code archive") from None
        tar.extractall(dest)


def find_repo(state: CodeState, candidates: Sequence[Path]) -> Path:
    """A local repository holding the recorded commit (the original root first)."""
    tried: List[str] = []
    for cand in ([Path(state.root)] if state.root else []) + list(candidates):
        root = git_root(cand) if cand.exists() else None
        if root is None:
            continue
        tried.append(str(root))
        if _git(["cat-file", "-e", f"{state.commit}^{{commit}}"], root) is not None:
            return root
    where = ", ".join(dict.fromkeys(tried)) or "no git repository found"
    raise InputError(
        state.root or ".",
        f"commit {state.commit} is not in any local repository ({where}); "
        "run replay from a clone that has it (--code-dir)",
    )


def restore_code(snapshot: "Snapshot", dest: Path, *, code_dir: Optional[Path] = None) -> Path:
    """Materialise the recorded code in ``dest`` and return the run's working directory there."""
    state = snapshot.code
    dest.mkdir(parents=True, exist_ok=True)
    if state.kind == "tarball":
        with tarfile.open(snapshot.member(state.tarball or layout.TARBALL), "r:gz") as tar:
            _safe_extract(tar, dest)
    elif state.kind == "git":
        repo = find_repo(state, [p for p in (code_dir, Path.cwd()) if p is not None])
        archive = _git(["archive", "--format=tar", str(state.commit)], repo)
        if archive is None:
            raise InputError(repo, f"git archive {state.commit} failed")
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            _safe_extract(tar, dest)
        if state.patch:
            patch = snapshot.member(state.patch)
            res = subprocess.run(
                ["git", "apply", "--binary", "--whitespace=nowarn", str(patch.resolve())],
                cwd=dest,
                # Not inside any enclosing repository: paths stay relative to dest.
                env=dict(os.environ, GIT_CEILING_DIRECTORIES=str(dest.resolve().parent)),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            if res.returncode != 0:
                err = res.stderr.decode(errors="replace").strip().splitlines()
                why = err[-1] if err else "git apply failed"
                raise InputError(patch, f"does not apply to {(state.commit or '')[:12]}: {why}")
    cwd = dest / state.cwd if state.cwd not in ("", ".") else dest
    cwd.mkdir(parents=True, exist_ok=True)
    return cwd
