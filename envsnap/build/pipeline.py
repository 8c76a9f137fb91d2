"""Manifest -> image: lock (cached), render (pure), then build through a ContainerEngine.

An image is named by the digest of its rendered build context (``envsnap/replay:<digest>``):
everything that changes the image (Dockerfile, locks, wheelhouse artifacts, CA bundle, base
image id, build args) changes the tag, and an image already built from the same context is
reused without a build. A manifest changed in memory (what bisection does) is as good as one
read from a file.
"""
from __future__ import annotations

import fcntl
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, List, Optional, Tuple, Union

from .. import __version__
from ..engines.base import LABEL, BuiltImage, ContainerEngine, RunSpec
from ..errors import EngineError, InputError
from ..events import EventSink, Notice, Stage, discard
from ..fsutil import cache_dir
from ..lock import LockResult, cached_lock
from ..model import Manifest
from ..render import BuildContext, RenderOptions, choose_base, local_default, render_context, write_context
from . import paths

DEFAULT_REPO = "envsnap/replay"
BUILD_LOG = "build.log"  # in the build context folder


@dataclass(frozen=True)
class BuildOptions:
    """Everything besides the manifest that decides the image."""

    base_image: Optional[str] = None  # --base-image; None: chosen from the manifest
    ca_bundle: Optional[bytes] = None  # PEM for pip in the builder stage only (never in the image)
    wheelhouse: bool = False  # every artifact in the context: the build needs no index
    network: Optional[str] = None  # build network (e.g. "none" for an air-gapped wheelhouse build)
    nocache: bool = False


@dataclass(frozen=True)
class PreparedContext:
    """A rendered build context and its identity (not yet written to disk)."""

    manifest: Manifest
    context: BuildContext
    lock: LockResult
    base_image: str
    digest: str  # sha256 of everything the build reads

    @property
    def tag(self) -> str:
        return f"{DEFAULT_REPO}:{self.digest[:16]}"


@dataclass(frozen=True)
class BuildResult:
    image: BuiltImage
    prepared: PreparedContext
    context_dir: Path
    warnings: Tuple[str, ...]
    reused: bool = False  # an image of this exact context existed: nothing was built
    saved: Optional[Path] = None
    notes: Tuple[str, ...] = field(default_factory=tuple)


def read_ca_bundle(ca_bundle: Optional[Union[str, Path]]) -> Optional[bytes]:
    if ca_bundle is None:
        return None
    try:
        ca = Path(ca_bundle).read_bytes()
    except OSError as exc:
        raise InputError(ca_bundle, f"cannot read: {exc.strerror or exc}") from None
    if b"-----BEGIN CERTIFICATE-----" not in ca:
        raise InputError(ca_bundle, "is not a PEM certificate bundle")
    return ca


def resolve_base(manifest: Manifest, engine: ContainerEngine,
                 base_image: Optional[str]) -> Tuple[str, Optional[str], str, List[str]]:
    """(image ref, repo digest, image id, notes): the chosen image if present, else the local one."""
    notes: List[str] = []
    if base_image:
        info = engine.image_info(base_image)
        if info is None:
            raise EngineError(f"base image {base_image} is not available to {engine.name} (no registry is "
                              "reachable: load it or build it, e.g. integration/provision.sh)")
        return base_image, info.digest_for(base_image), info.id, notes
    chosen = choose_base(manifest)
    info = engine.image_info(chosen.ref)
    if info is not None:
        return chosen.ref, info.digest_for(chosen.ref), info.id, notes
    fallback = local_default()
    info = engine.image_info(fallback)
    if info is None:
        raise EngineError(f"neither the chosen base image {chosen.ref} nor the local fallback {fallback} exists; "
                          "run integration/provision.sh or pass --base-image")
    notes.append(f"base image {chosen.ref} ({chosen.why}) is not available; using the local {fallback} instead")
    return fallback, info.digest_for(fallback), info.id, notes


def context_digest(ctx: BuildContext, lock: LockResult) -> str:
    """sha256 of the build's inputs: generated files, wheelhouse artifacts (by their pinned
    hash, so large files are never read), build args."""
    by_file = {lp.filename: ",".join(lp.hashes) for lp in lock.packages if lp.kind == "wheelhouse" and lp.filename}
    h = hashlib.sha256()
    for rel, data in sorted(ctx.files.items()):
        h.update(f"file {rel} {hashlib.sha256(data).hexdigest()}\n".encode())
    for rel in sorted(ctx.links):
        h.update(f"artifact {rel} {by_file.get(rel.rsplit('/', 1)[-1], '?')}\n".encode())
    for k, v in sorted(ctx.build_args.items()):
        h.update(f"arg {k} {v!r}\n".encode())
    return h.hexdigest()


def prepare(manifest: Manifest, engine: Optional[ContainerEngine], opts: BuildOptions = BuildOptions(), *,
            on_event: EventSink = discard) -> PreparedContext:
    """Lock (from the cache when nothing it depends on changed) and render. Without an engine
    the chosen base image is rendered unchecked, with a note."""
    if engine is None:
        ref, digest, image_id = opts.base_image or choose_base(manifest).ref, None, None
        notes = ["base image not checked against a container engine"]
    else:
        ref, digest, image_id, notes = resolve_base(manifest, engine, opts.base_image)
    on_event(Stage("locking the packages (cached after the first time)"))
    lock = cached_lock(manifest, wheelhouse=opts.wheelhouse)
    ropts = RenderOptions(base_image=ref, base_digest=digest, base_id=image_id, base_notes=tuple(notes),
                          ca_bundle=opts.ca_bundle, envsnap_version=__version__)
    ctx = render_context(manifest, lock, ropts)
    return PreparedContext(manifest=manifest, context=ctx, lock=lock, base_image=ref, digest=context_digest(ctx, lock))


def default_context_dir(prepared: PreparedContext) -> Path:
    return cache_dir("build", prepared.digest[:16])


def build_image(manifest: Manifest, engine: ContainerEngine, opts: BuildOptions = BuildOptions(), *,
                tag: Optional[str] = None, context_dir: Optional[Path] = None, save: Optional[Path] = None,
                reuse: bool = True, on_event: EventSink = discard) -> BuildResult:
    """Build (or reuse) the image of ``manifest``; optionally save base + image to one archive."""
    prepared = prepare(manifest, engine, opts, on_event=on_event)
    ctx_dir = Path(context_dir) if context_dir else default_context_dir(prepared)
    write_context(prepared.context, ctx_dir)
    target = tag or prepared.tag
    with _context_lock(prepared.digest):  # concurrent builds of one context: the second reuses the first
        existing = engine.image_info(target) if reuse and tag is None and not opts.nocache else None
        if existing is not None:
            log = ctx_dir / BUILD_LOG
            image = BuiltImage(id=existing.id, tag=target, log_path=log if log.is_file() else None, cached=True,
                               steps=0, cached_steps=0)
            reused = True
        else:
            on_event(Stage(f"building {target} with {engine.name} (layers are cached)"))
            image = engine.build(ctx_dir, target, build_args=prepared.context.build_args,
                                 log_path=ctx_dir / BUILD_LOG, nocache=opts.nocache, network=opts.network,
                                 on_event=on_event)
            reused = False
    warnings = tuple(prepared.context.warnings) + tuple(image.warnings if not reused else ())
    if prepared.context.python.apt_packages:
        warnings += tuple(apt_mismatches(engine, image.tag))
    saved = engine.save([prepared.base_image, image.tag], save) if save else None
    for w in warnings:
        on_event(Notice("warning", w))
    return BuildResult(image=image, prepared=prepared, context_dir=ctx_dir, warnings=tuple(dict.fromkeys(warnings)),
                       reused=reused, saved=saved)


@contextmanager
def _context_lock(digest: str) -> Iterator[None]:
    base = cache_dir("locks")
    base.mkdir(parents=True, exist_ok=True)
    with open(base / f"build-{digest[:16]}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def apt_mismatches(engine: ContainerEngine, image: str) -> List[str]:
    """System packages the archive no longer had at the captured version (read from the image, so a
    build served from cache reports them too)."""
    res = engine.run_captured(RunSpec(image=image, command=("cat", paths.APT_MISMATCH), network="none",
                                      timeout_s=60, labels={LABEL: "build"}))
    out = []
    for ln in res.stdout.splitlines():
        parts = ln.split()
        if len(parts) == 3:
            out.append(f"system package {parts[0]} {parts[1]} is not in the archive any more; the image has {parts[2]}")
    return out
