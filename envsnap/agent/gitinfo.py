"""Code state of the working directory: commit, branch, dirty, patch digest, remote."""
import hashlib
import os
import subprocess

from .util import skipped


def _git(args, cwd):
    res = subprocess.run(["git"] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if res.returncode != 0:
        raise RuntimeError(res.stderr.decode("utf-8", "replace").strip() or "git failed")
    return res.stdout


def git(cwd=None):
    cwd = cwd or os.getcwd()
    try:
        root = _git(["rev-parse", "--show-toplevel"], cwd).decode().strip()
    except OSError:
        return skipped("git is not installed")
    except (RuntimeError, subprocess.SubprocessError):
        return skipped("not a git repository: %s" % cwd)
    out = {"root": root}
    try:
        out["commit"] = _git(["rev-parse", "HEAD"], root).decode().strip()
    except RuntimeError:
        out["commit"] = None  # a repository with no commit yet
    try:
        out["branch"] = _git(["rev-parse", "--abbrev-ref", "HEAD"], root).decode().strip()
    except RuntimeError:
        out["branch"] = None
    patch = _git(["diff", "HEAD", "--binary"], root) if out["commit"] else b""
    untracked = _git(["ls-files", "--others", "--exclude-standard"], root).decode().splitlines()
    out["dirty"] = bool(patch) or bool(untracked)
    out["patch_bytes"] = len(patch)
    out["patch_sha256"] = hashlib.sha256(patch).hexdigest() if patch else None
    out["untracked"] = sorted(untracked)[:200]
    try:
        out["remote"] = _git(["remote", "get-url", "origin"], root).decode().strip() or None
    except RuntimeError:
        out["remote"] = None
    return out
