"""Manifest + lock + options -> build context: pure and deterministic (same input, same bytes)."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from importlib import resources
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import jinja2

from ..agent.vocab import HOST_SPECIFIC_ENV, NUMERICS_ENV_VARS
from ..build import paths
from ..errors import EnvsnapError, OutputError
from ..fsutil import write_bytes_atomic
from ..lock.model import LockResult
from ..manifest_io import dumps, manifest_sha256
from ..model import Manifest
from ..redact import Redactor
from .base import choose_base, describe
from .model import BaseImage, BuildContext, RenderOptions
from .python import plan_python
from .quote import quote_value

_DEB_SPEC = re.compile(r"^[a-z0-9][a-z0-9.+\-]*(?:=[A-Za-z0-9.+~:\-]+)?$")


def _template_env(template_dir: Optional[Path]) -> jinja2.Environment:
    loader: jinja2.BaseLoader
    if template_dir is not None:
        loader = jinja2.FileSystemLoader(str(template_dir))
    else:
        loader = jinja2.FunctionLoader(lambda name: (resources.files("envsnap.templates") / name).read_text("utf-8"))
    env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["sh"] = shlex.quote
    env.filters["comment"] = lambda s: " ".join(str(s).split())
    env.filters["tojson"] = lambda v: json.dumps(v, ensure_ascii=False)
    return env




def _index_args(lock: LockResult) -> str:
    if not lock.index_urls:
        return "--no-index"
    args = ["--index-url", lock.index_urls[0]]
    for u in lock.index_urls[1:]:
        args += ["--extra-index-url", u]
    return " ".join(shlex.quote(a) for a in args)


def _apt_sources(base: BaseImage) -> Optional[str]:
    """Debian images made by debootstrap list only the main suite: add -updates and -security."""
    if base.os_id != "debian" or not base.codename:
        return None
    cn = base.codename
    line = (f"deb http://deb.debian.org/debian {cn}-updates main\\n"
            f"deb http://deb.debian.org/debian-security {cn}-security main\\n")
    return f"[ -e /etc/apt/sources.list.d/debian.sources ] || printf '{line}' >> /etc/apt/sources.list"


def _env_and_labels(m: Manifest, lock: LockResult, base: BaseImage, opts: RenderOptions, venv: str,
                    provider: str) -> Tuple[Dict[str, str], Dict[str, str], List[str]]:
    warnings: List[str] = []
    env: Dict[str, str] = {
        "PATH": f"{venv}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "VIRTUAL_ENV": venv,
    }
    for name in sorted(m.numerics.env):
        if name not in NUMERICS_ENV_VARS:
            continue
        if name in HOST_SPECIFIC_ENV:
            warnings.append(f"{name} is not set in the image ({HOST_SPECIFIC_ENV[name]}); captured value "
                            f"{m.numerics.env[name]!r}")
            continue
        env[name] = m.numerics.env[name]
    if m.used_gpu():
        env["NVIDIA_VISIBLE_DEVICES"] = "all"
        env["NVIDIA_DRIVER_CAPABILITIES"] = "compute,utility"
    labels = {
        "org.opencontainers.image.title": "envsnap replay",
        "org.opencontainers.image.base.name": base.ref.split("@", 1)[0],
        "dev.envsnap.manifest.sha256": manifest_sha256(m),
        "dev.envsnap.python.version": m.python.version or "unknown",
        "dev.envsnap.python.provider": provider,
    }
    if opts.base_digest:
        labels["org.opencontainers.image.base.digest"] = opts.base_digest
    if opts.base_id:
        labels["dev.envsnap.base.id"] = opts.base_id
    return env, labels, warnings


def render_context(manifest: Manifest, lock: LockResult, options: Optional[RenderOptions] = None, *,
                   template_dir: Optional[Path] = None) -> BuildContext:
    """Render the Dockerfile and gather the context files. Pure: reads no state but templates."""
    options = options or RenderOptions()
    if options.base_image:
        base = describe(options.base_image, manifest)
    else:
        base = choose_base(manifest)
    from_ref = base.ref
    if options.base_digest and "@" not in from_ref:
        from_ref = (
            f"{from_ref.rsplit(':', 1)[0] if ':' in from_ref.rsplit('/', 1)[-1] else from_ref}@{options.base_digest}"
        )
    plan = plan_python(manifest, base)
    bad = [p for p in plan.apt_packages if not _DEB_SPEC.match(p)]
    if bad:
        raise EnvsnapError(f"manifest os.packages holds an invalid Debian package spec: {bad[0]!r}")
    warnings: List[str] = list(options.base_notes) + list(lock.warnings)
    if plan.warning:
        warnings.append(plan.warning)
    warnings += [f"{s.name}=={s.version} not installed: {s.reason}" for s in lock.skipped]
    env, labels, env_warn = _env_and_labels(manifest, lock, base, options, plan.venv, plan.provider)
    warnings += env_warn

    build_args: Dict[str, str] = {}

    def q(items: Dict[str, str]) -> List[Tuple[str, str]]:
        out = []
        for k, v in items.items():
            word, args = quote_value(v)
            build_args.update(args)
            out.append((k, word))
        return out

    env_q, labels_q = q(env), q(dict(sorted(labels.items())))
    red = Redactor()
    warnings = [red.text(w) for w in warnings]
    tenv = _template_env(template_dir)
    tpl = tenv.get_template("Dockerfile.j2")
    dockerfile = tpl.render(
        manifest_sha256=manifest_sha256(manifest),
        envsnap_version=options.envsnap_version,
        base=base,
        from_ref=from_ref,
        warnings=warnings,
        char_args=sorted(build_args),
        python=plan,
        apt_sources=_apt_sources(base) if plan.apt_packages else None,
        builder_apt=bool(lock.index_urls) and options.ca_bundle is None and base.apt,
        ca_bundle=options.ca_bundle is not None,
        index_args=_index_args(lock),
        env=env_q,
        labels=labels_q,
        user=options.user,
        uid=options.uid,
        workdir=options.workdir,
        etc_dir=paths.ETC_DIR,
    )
    files: Dict[str, bytes] = {
        "Dockerfile": red.text(dockerfile).encode("utf-8"),
        "manifest.json": dumps(manifest, red).encode("utf-8"),
        "requirements.txt": red.text(lock.requirements_txt).encode("utf-8"),
        "pylock.toml": red.text(lock.pylock_toml).encode("utf-8"),
        ".dockerignore": b"*.tar\nbuild.log\n",
    }
    if lock.conda_lock_yml:
        files["conda-lock.yml"] = red.text(lock.conda_lock_yml).encode("utf-8")
    if plan.apt_packages:
        files["apt-install.sh"] = (
            tenv.get_template("apt-install.sh.j2")
            .render(etc_dir=paths.ETC_DIR, apt_mismatch=paths.APT_MISMATCH)
            .encode("utf-8")
        )
    if options.ca_bundle is not None:
        files["ca-bundle.pem"] = options.ca_bundle
    links = {f"wheelhouse/{fn}": lock.wheelhouse_path(fn) for fn in lock.wheelhouse}
    return BuildContext(
        files=files,
        links=links,
        base=base,
        build_args=build_args,
        env=env,
        labels=labels,
        python=plan,
        manifest_sha256=manifest_sha256(manifest),
        warnings=tuple(warnings),
    )


def write_context(ctx: BuildContext, directory: Union[str, Path]) -> Path:
    """Write every file atomically (temp + rename); wheelhouse artifacts are hard-linked or copied."""
    d = Path(directory)
    try:
        (d / "wheelhouse").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(d, f"cannot create: {exc.strerror or exc}") from None
    for rel, data in sorted(ctx.files.items()):
        write_bytes_atomic(d / rel, data)
    wanted = set()
    for rel, src in sorted(ctx.links.items()):
        dest = d / rel
        wanted.add(dest.name)
        srcp = Path(src)
        if not srcp.is_file():
            raise EnvsnapError(f"{src}: wheelhouse artifact is missing (run `envsnap lock` again)")
        if dest.exists() and os.path.samefile(srcp, dest):
            continue
        tmp = dest.with_name(f".{dest.name}.tmp")
        try:
            tmp.unlink(missing_ok=True)
            try:
                os.link(srcp, tmp)
            except OSError:
                shutil.copyfile(srcp, tmp)
            os.replace(tmp, dest)
        except OSError as exc:
            raise OutputError(dest, f"cannot write: {exc.strerror or exc}") from None
    for stale in (d / "wheelhouse").iterdir():
        if stale.name not in wanted:
            stale.unlink()
    return d
