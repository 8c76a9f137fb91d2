"""lock + render + build in one call, for `envsnap build` and replay."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Tuple, Union

from .. import __version__
from ..errors import EngineError, InputError
from ..fsutil import cache_dir
from ..manifest_io import load_manifest
from ..model import Manifest
from ..render import BuildContext, RenderOptions, choose_base, local_default, render_context, write_context
from ..lock import LockResult, lock_manifest

if TYPE_CHECKING:  # the engine module imports docker; only its type is needed here
    from .docker_engine import BuiltImage

DEFAULT_REPO = "envsnap/replay"


@dataclass(frozen=True)
class BuildResult:
    image: "BuiltImage"
    context: BuildContext
    lock: LockResult
    context_dir: Path
    base_image: str
    warnings: Tuple[str, ...]
    saved: Optional[Path] = None


def default_tag(manifest_sha256: str) -> str:
    return f"{DEFAULT_REPO}:{manifest_sha256[:12]}"


def default_context_dir(manifest_sha256: str) -> Path:
    return cache_dir("build", manifest_sha256[:16])


def resolve_base(manifest: Manifest, engine, base_image: Optional[str]) -> Tuple[str, Optional[str], str, List[str]]:
    """(image ref, repo digest, image id, notes): the chosen image if present, else the local one."""
    notes: List[str] = []
    if base_image:
        info = engine.image_info(base_image)
        if info is None:
            raise EngineError(f"base image {base_image} is not available locally (no registry is reachable: "
                              "load it with `docker load` or build it, e.g. integration/provision.sh)")
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


def prepare_context(
    manifest: Union[str, Path, Manifest],
    context_dir: Optional[Union[str, Path]] = None,
    *,
    base_image: Optional[str] = None,
    ca: Optional[bytes] = None,
    wheelhouse: bool = False,
    engine=None,
) -> Tuple[Manifest, BuildContext, LockResult, Path, str]:
    """Lock and render ``manifest`` into a build context folder (what `envsnap dockerfile`
    writes). Without an engine the chosen base image is rendered unchecked, with a note."""
    if not isinstance(manifest, Manifest):
        manifest = load_manifest(manifest)
    if engine is None:
        ref, digest, image_id, notes = base_image or choose_base(manifest).ref, None, None, [
            "base image not checked against a Docker engine"]
    else:
        ref, digest, image_id, notes = resolve_base(manifest, engine, base_image)
    from ..lock import manifest_sha256

    ctx_dir = Path(context_dir) if context_dir else default_context_dir(manifest_sha256(manifest))
    lock = lock_manifest(manifest, ctx_dir, wheelhouse=wheelhouse)
    opts = RenderOptions(base_image=ref, base_digest=digest, base_id=image_id, base_notes=tuple(notes),
                         ca_bundle=ca, envsnap_version=__version__)
    ctx = render_context(manifest, lock, opts)
    write_context(ctx, ctx_dir)
    return manifest, ctx, lock, ctx_dir, ref


def build(
    manifest: Union[str, Path, Manifest],
    *,
    tag: Optional[str] = None,
    base_image: Optional[str] = None,
    ca_bundle: Optional[Union[str, Path]] = None,
    wheelhouse: bool = False,
    save: Optional[Union[str, Path]] = None,
    context_dir: Optional[Union[str, Path]] = None,
    engine=None,
    progress: bool = True,
    nocache: bool = False,
    network: Optional[str] = None,
) -> BuildResult:
    """Lock, render and build the image of ``manifest``; optionally `docker save` base + image."""
    from .docker_engine import Engine

    ca = read_ca_bundle(ca_bundle)  # a bad bundle fails before the engine is contacted
    engine = engine or Engine()
    manifest, ctx, lock, ctx_dir, ref = prepare_context(manifest, context_dir, base_image=base_image,
                                                         ca=ca, wheelhouse=wheelhouse, engine=engine)
    image = engine.build(ctx_dir, tag or default_tag(lock.manifest_sha256), build_args=ctx.build_args,
                         log_path=ctx_dir / "build.log", progress=progress, nocache=nocache,
                         network=network)
    warnings = tuple(ctx.warnings) + tuple(_apt_mismatches(engine, image.tag) if ctx.python.apt_packages else ())
    saved = engine.save([ref, image.tag], save) if save else None
    return BuildResult(image=image, context=ctx, lock=lock, context_dir=ctx_dir, base_image=ref,
                       warnings=warnings, saved=saved)


def _apt_mismatches(engine, image: str) -> List[str]:
    """System packages the archive no longer had at the captured version (read from the image, so a
    build served from cache reports them too)."""
    res = engine.run(image, ["cat", "/etc/envsnap/apt-mismatch.txt"], network="none", timeout=60)
    out = []
    for ln in res.log.splitlines():
        parts = ln.split()
        if len(parts) == 3:
            out.append(f"system package {parts[0]} {parts[1]} is not in the archive any more; the image has {parts[2]}")
    return out
