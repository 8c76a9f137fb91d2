"""`envsnap show`: a human summary of a manifest (pure: Manifest in, rich renderables out)."""
from __future__ import annotations

from typing import List, Optional

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..model import Manifest

# Packages whose version decides numerics (shown first); everything else is counted.
NUMERICS_PACKAGES = (
    "numpy", "scipy", "torch", "jax", "jaxlib", "tensorflow", "tensorflow-cpu", "cupy", "triton", "numba",
    "onnxruntime", "scikit-learn", "pandas", "transformers", "accelerate", "flash-attn", "xformers",
    "bottleneck", "numexpr", "mkl", "intel-openmp", "scipy-openblas64", "scipy-openblas32", "openblas",
)


def _kv(title: str) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def _fmt_bytes(n: Optional[int]) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def renderables(m: Manifest) -> List[RenderableType]:
    out: List[RenderableType] = []
    sysinfo = _kv("System")
    sysinfo.add_row("captured", f"{m.envsnap.created_at} by envsnap {m.envsnap.version}")
    sysinfo.add_row("host", f"{m.host.hostname or '?'} ({m.host.arch}, kernel {m.host.kernel})"
                    + (f", container: {m.host.container}" if m.host.container else "")
                    + (f", VM: {m.host.virtualization}" if m.host.virtualization else ""))
    sysinfo.add_row(
        "os",
        f"{m.os.pretty_name or m.os.id or '?'}; {m.os.libc or 'libc ?'}"
        + (f"; {len(m.os.packages)} {m.os.package_manager} packages recorded" if m.os.package_manager else ""),
    )
    py = m.python
    sysinfo.add_row("python", f"{py.implementation} {py.version} ({py.env_kind}) {py.executable}")
    if py.pip_config.index_url or py.pip_config.extra_index_urls or py.pip_config.find_links:
        idx = ", ".join(filter(None, [py.pip_config.index_url, *py.pip_config.extra_index_urls]))
        sysinfo.add_row(
            "pip",
            f"index: {idx or 'default'}"
            + (f"; find-links: {', '.join(py.pip_config.find_links)}" if py.pip_config.find_links else ""),
        )
    cpu = m.cpu
    sysinfo.add_row(
        "cpu",
        f"{cpu.model or '?'} ({cpu.cores_available or '?'}/{cpu.cores_logical or '?'} cores, "
        f"{_fmt_bytes(cpu.memory_total_bytes)} RAM)",
    )
    if cpu.isa:
        sysinfo.add_row("isa", " ".join(cpu.isa))
    nv = m.nvidia
    if nv.status == "ok":
        sysinfo.add_row("driver", f"NVIDIA {nv.driver_version} (CUDA driver {nv.cuda_driver_version})")
        for g in nv.gpus:
            sysinfo.add_row(
                f"gpu {g.index}",
                f"{g.name} sm_{(g.compute_capability or '?').replace('.', '')} "
                f"{_fmt_bytes(g.memory_total_bytes)} MIG {g.mig_mode or '?'} ECC {g.ecc_mode or '?'}"
                + (f" [unreadable: {', '.join(sorted(g.errors))}]" if g.errors else ""),
            )
    else:
        sysinfo.add_row("gpu", f"none ({nv.reason})")
    cu = m.cuda
    fw = "; ".join(
        f"{f.framework} {f.version or ''}: CUDA {f.cuda or 'none'}"
        + (f", cuDNN {f.cudnn}" if f.cudnn else "")
        + (f", NCCL {f.nccl}" if f.nccl else "")
        + f" ({f.how})"
        for f in cu.frameworks
    )
    sysinfo.add_row(
        "cuda",
        f"source: {cu.source or '?'}"
        + (f"; {fw}" if fw else "")
        + (f"; toolkit {cu.system_toolkit}" if cu.system_toolkit else ""),
    )
    blas = "; ".join(
        f"{lib.internal_api} {lib.version or ''} ({lib.user_api}, {lib.num_threads} threads"
        + (f", {lib.architecture}" if lib.architecture else "")
        + (f", {lib.threading_layer}" if lib.threading_layer and lib.threading_layer != "disabled" else "")
        + ")"
        for lib in m.blas.libraries
    )
    sysinfo.add_row("blas", blas or (m.blas.reason or "none loaded"))
    if m.git.status == "ok":
        sysinfo.add_row(
            "git",
            f"{(m.git.commit or 'no commit')[:12]} on {m.git.branch}"
            + (" (dirty)" if m.git.dirty else "")
            + (f" {m.git.remote}" if m.git.remote else ""),
        )
    out.append(sysinfo)

    numerics = _kv("Numerics settings")
    for k, v in m.numerics.env.items():
        numerics.add_row(k, v)
    for k, v in m.numerics.flags.items():
        numerics.add_row(k, str(v))
    if not m.numerics.env and not m.numerics.flags:
        numerics.add_row("-", "no numerics variables set; framework flags are read by the probes")
    out.append(numerics)

    pk = Table(
        title=f"Packages ({len(m.packages.python)} python"
        + (f", {len(m.packages.conda)} conda" if m.packages.conda else "")
        + "; numerics-relevant shown)",
        title_justify="left",
    )
    for col in ("name", "version", "source", "installer", "artifact hash"):
        pk.add_column(col)
    shown = [p for p in m.packages.python if p.name in NUMERICS_PACKAGES or p.name.startswith("nvidia-")]
    for p in shown:
        h = p.hashes[0] if p.hashes else None
        pk.add_row(
            p.name, p.version, p.source, p.installer or "?", f"{h.algorithm}:{h.value[:12]}… ({h.source})" if h else "-"
        )
    broken = [p for p in m.packages.python if p.broken]
    out.append(pk)
    if broken:
        out.append(Text("broken distributions: " + "; ".join(f"{p.name}: {p.broken}" for p in broken), style="yellow"))

    if m.probes.status == "ok" and m.probes.results:
        pr = Table(title="Probes", title_justify="left")
        pr.add_column("probe", no_wrap=True)
        pr.add_column("result", overflow="fold", ratio=1)
        pr.add_column("fingerprint", no_wrap=True)
        pr.add_column("stable", no_wrap=True)
        pr.add_column("ms", no_wrap=True, justify="right")
        for r in m.probes.results:
            stable = "-" if r.stable is None else ("yes" if r.stable else "NO")
            value = r.value if r.status == "ok" else f"{r.status}: {r.reason}"
            pr.add_row(r.id, value or "", (r.fingerprint or "")[:12], stable, f"{r.ms:.1f}" if r.ms is not None else "")
        out.append(pr)

    if m.envsnap.skipped:
        sk = _kv("Skipped or failed sections")
        for k, v in m.envsnap.skipped.items():
            sk.add_row(k, v)
        out.append(sk)
    return out


def show_manifest(m: Manifest) -> Group:
    """The human summary of a manifest (the CLI prints it)."""
    return Group(*renderables(m))
