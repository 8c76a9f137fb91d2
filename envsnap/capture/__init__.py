"""Capture: run the in-environment agent, scrub what it saw, and type it into a Manifest.

The agent (envsnap/agent, shipped as a directory) does the collecting inside the target
interpreter; this side adds what only the host knows (envsnap's own version and command,
py-cpuinfo where /proc/cpuinfo is missing), redacts secrets before anything is stored, and
validates every section against the model.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence, Type

from pydantic import ValidationError

from .. import __version__
from ..agent_runtime import AgentRunner, LocalRunner, resolve_python
from ..errors import InterpreterError
from ..model import (
    CPU,
    Blas,
    Cuda,
    EnvsnapInfo,
    FrameworkCuda,
    Git,
    Host,
    Manifest,
    Numerics,
    Nvidia,
    OSInfo,
    Packages,
    Probes,
    PythonInfo,
    Section,
)
from ..redact import Redactor

AGENT_TIMEOUT_S = 300.0

_SECTIONS: Dict[str, Type[Section]] = {
    "host": Host, "os": OSInfo, "python": PythonInfo, "packages": Packages, "cpu": CPU,
    "nvidia": Nvidia, "cuda": Cuda, "blas": Blas, "git": Git,
}


def run_agent_capture(runner: AgentRunner, cwd: Optional[str] = None) -> Dict[str, Any]:
    """Run ``agent capture`` and return its raw JSON (unscrubbed: never write it)."""
    args: List[str] = ["capture"] + (["--cwd", cwd] if cwd else [])
    out = runner(args, timeout=AGENT_TIMEOUT_S)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise InterpreterError(
            f"{runner.description}: not a usable Python interpreter "
            f"(envsnap agent exited {out.returncode}: {last[:200]})"
        )
    try:
        data = json.loads(out.stdout)
    except ValueError:
        raise InterpreterError(f"{runner.description}: the envsnap agent printed no manifest data") from None
    if not isinstance(data, dict):
        raise InterpreterError(f"{runner.description}: the envsnap agent printed unexpected data")
    return data


def _section(name: str, cls: Type[Section], raw: Any) -> Any:
    if not isinstance(raw, dict):
        return cls(status="error", reason=f"agent returned no {name} data")
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return cls(status="error", reason=f"unexpected {name} data at {where}: {first.get('msg')}")


def _cpu_fallback() -> Dict[str, Any]:
    """Non-Linux hosts: py-cpuinfo (slow: it times the clock, so only used when needed)."""
    import cpuinfo

    info = cpuinfo.get_cpu_info()
    flags = sorted(info.get("flags", []))
    return {
        "model": info.get("brand_raw"),
        "vendor": info.get("vendor_id_raw"),
        "arch": info.get("arch"),
        "family": info.get("family"),
        "model_id": info.get("model"),
        "stepping": info.get("stepping"),
        "flags": flags,
        "isa": [f for f in flags if f.startswith(("avx", "fma", "amx", "sse", "f16c", "neon", "asimd"))],
        "cores_logical": info.get("count"),
        "caches": {k: str(info[k]) for k in ("l1_data_cache_size", "l2_cache_size", "l3_cache_size") if info.get(k)},
    }


def capture_environment(
    python: Optional[str] = None,
    *,
    probes: bool = True,
    argv: Optional[Sequence[str]] = None,
    runner: Optional[AgentRunner] = None,
    cwd: Optional[str] = None,
    redactor: Optional[Redactor] = None,
) -> Manifest:
    """Capture the environment of ``python`` (default: `python` on PATH) or of ``runner``."""
    started = time.perf_counter()
    if runner is None:
        runner = LocalRunner(resolve_python(python), cwd=cwd)
    redactor = redactor or Redactor()

    with ThreadPoolExecutor(max_workers=2) as pool:
        probe_future = pool.submit(_run_probes, runner) if probes else None
        raw = run_agent_capture(runner, cwd)
        probe_run = probe_future.result() if probe_future else None

    durations: Dict[str, float] = dict(raw.get("durations_ms") or {})
    # Secrets first: env by name and shape (remembering each secret), then every other string.
    env = redactor.env({str(k): str(v) for k, v in (raw.get("env") or {}).items()})
    scrubbed: Dict[str, Any] = redactor.obj({k: v for k, v in raw.items() if k != "env"})

    sections: Dict[str, Any] = {name: _section(name, cls, scrubbed.get(name)) for name, cls in _SECTIONS.items()}
    if sections["cpu"].status == "skipped":
        try:
            sections["cpu"] = CPU.model_validate(_cpu_fallback())
        except Exception as exc:  # noqa: BLE001 - recorded, never fatal
            sections["cpu"] = CPU(status="error", reason=f"py-cpuinfo: {exc}")

    numerics_raw = scrubbed.get("numerics") or {}
    flags: Dict[str, Any] = {}
    if probe_run is not None:
        sections["probes"] = probe_run.probes
        flags = redactor.obj(dict(probe_run.flags))
        sections["cuda"] = with_loaded_versions(sections["cuda"], probe_run.loaded)
        durations["probes"] = round(sum(r.ms or 0.0 for r in probe_run.probes.results), 3)
    else:
        sections["probes"] = Probes(status="skipped", reason="--no-probes")
    sections["numerics"] = Numerics(env=numerics_raw.get("env") or {}, flags=dict(sorted(flags.items())))

    skipped = {
        name: (sec.reason or sec.status) for name, sec in sections.items() if getattr(sec, "status", "ok") != "ok"
    }
    durations["total"] = round((time.perf_counter() - started) * 1000.0, 3)
    info = EnvsnapInfo(
        version=__version__,
        created_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        command=redactor.argv(list(argv or [])),
        durations_ms=dict(sorted(durations.items())),
        skipped=dict(sorted(skipped.items())),
    )
    return Manifest(envsnap=info, env=env, **sections)


def with_loaded_versions(cuda: Cuda, loaded: Sequence[FrameworkCuda]) -> Cuda:
    """The cuda section with the versions read from files replaced by what was actually loaded."""
    if not loaded or cuda.status != "ok":
        return cuda
    frameworks = {f.framework: f for f in cuda.frameworks}
    for fw in loaded:
        static = frameworks.get(fw.framework)
        version = fw.version or (static.version if static else None)
        frameworks[fw.framework] = fw.model_copy(update={"version": version})
    return cuda.model_copy(update={"frameworks": [frameworks[k] for k in sorted(frameworks)]})


def _run_probes(runner: AgentRunner) -> Any:
    from ..probes import run_probes

    return run_probes(runner)
