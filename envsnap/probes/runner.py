"""Run the probe worker in the target interpreter and turn its line protocol into results.

One worker runs every probe in sequence (the frameworks are imported once). When it dies, the
probe it was running is recorded as failed with the reason (signal, timeout, exit status) and a
fresh worker takes the remaining probes. Works with any AgentRunner (local or in a container):
the worker enforces each probe's budget itself, so a whole-output call always returns.
"""
from __future__ import annotations

import json
import signal
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from pydantic import ValidationError

from ..agent.probes.catalogue import Spec, select
from ..agent.probes.worker import PREFIX
from ..agent_runtime import AgentOutput, AgentRunner
from ..errors import InterpreterError, UsageError
from ..model import FrameworkCuda, ProbeResult, Probes

DEFAULT_BUDGET_S = 30.0  # per probe; the CPU suite takes milliseconds per probe
IMPORT_BUDGET_S = 300.0  # per framework import (a cold torch import on a slow disk)


@dataclass(frozen=True)
class ProbeRun:
    probes: Probes
    flags: Dict[str, Any] = field(default_factory=dict)  # framework switches -> manifest.numerics.flags
    loaded: Tuple[FrameworkCuda, ...] = ()  # what the worker's frameworks actually loaded (CUDA, cuDNN, NCCL)


@dataclass
class _Attempt:
    """What one worker process reported before it ended."""

    results: Dict[str, ProbeResult] = field(default_factory=dict)
    imports: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    flags: Optional[Dict[str, Any]] = None
    loaded: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    running: Optional[str] = None  # the step that had started and not finished
    started: bool = False  # any protocol line at all
    done: bool = False


def _parse(stdout: str) -> _Attempt:
    att = _Attempt()
    for line in stdout.splitlines():
        if not line.startswith(PREFIX):
            continue
        try:
            msg = json.loads(line[len(PREFIX):])
        except json.JSONDecodeError:
            continue  # a line cut by the process dying mid-write
        att.started = True
        if "start" in msg:
            att.running = str(msg["start"])
        elif "result" in msg:
            try:
                res = ProbeResult.model_validate(msg["result"])
            except ValidationError as exc:
                rid = str(msg["result"].get("id", att.running))
                res = _failed_spec_result(rid, f"malformed result: {exc.errors()[0]['msg']}")
            att.results[res.id] = res
            att.running = None
        elif "imported" in msg:
            att.imports[str(msg["imported"])] = msg
            att.running = None
        elif "flags" in msg:
            att.flags = dict(msg["flags"])
            att.loaded = {str(k): dict(v) for k, v in (msg.get("loaded") or {}).items() if isinstance(v, dict)}
            att.running = None
        elif msg.get("done"):
            att.done = True
    return att


def _failed_spec_result(pid: str, reason: str) -> ProbeResult:
    from ..agent.probes.catalogue import BY_ID

    spec = BY_ID[pid]
    return _failed(spec, reason)


def _failed(spec: Spec, reason: str) -> ProbeResult:
    return ProbeResult(id=spec.id, version=spec.version, framework=spec.framework, device=spec.device,
                       status="failed", reason=reason)


def _not_run(reason: str) -> ProbeRun:
    """The agent could not run at all: a section that says so (capture goes on without probes)."""
    return ProbeRun(probes=Probes(status="error", reason=reason, results=[]))


def exit_reason(out: AgentOutput, budget_s: float) -> str:
    """Why a worker ended early, from its exit status and stderr."""
    rc = out.returncode
    if rc == 1 and "Timeout (" in out.stderr:
        return f"timed out after {budget_s:g} s"
    sig = -rc if rc < 0 else (rc - 128 if 128 < rc < 160 else None)  # 128+N: a shell or container
    if sig:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"killed by {name}" + (f" (exit status {rc})" if rc > 0 else "")
    tail = [ln for ln in out.stderr.strip().splitlines() if ln.strip()][-1:]
    return f"the interpreter exited with status {rc}" + (f": {tail[0].strip()[:200]}" if tail else "")


def run_probes(
    runner: AgentRunner, *, budget_s: float = DEFAULT_BUDGET_S, only: Optional[Sequence[str]] = None
) -> ProbeRun:
    """Run the probes (all, or those whose id or id prefix is in ``only``) in the runner's
    interpreter. ``budget_s`` bounds each probe; a probe over budget is recorded as failed."""
    if budget_s <= 0:
        raise UsageError(f"probe budget must be positive, got {budget_s:g} s")
    try:
        specs = select(list(only or []))
    except KeyError as exc:
        known = ", ".join(s.id for s in select([]))
        raise UsageError(f"unknown probe {exc.args[0]!r}; known probes: {known}") from None
    by_id = {s.id: s for s in specs}
    results: Dict[str, ProbeResult] = {}
    flags: Dict[str, Any] = {}
    loaded: Tuple[FrameworkCuda, ...] = ()
    pending: List[str] = [s.id for s in specs]
    one_at_a_time = False
    heard = False  # has any worker spoken the protocol yet?
    while pending:
        batch = pending[:1] if one_at_a_time else pending
        args = [
            "probes",
            "--budget",
            f"{budget_s:g}",
            "--import-budget",
            f"{IMPORT_BUDGET_S:g}",
            "--ids",
            ",".join(batch),
        ]
        # the worker's own watchdog fires first; this outer limit only catches a wedged process
        timeout = 4 * IMPORT_BUDGET_S + len(batch) * (budget_s + 5.0) + 30.0
        try:
            out = runner(args, timeout=timeout)
        except InterpreterError as exc:
            if not heard and not one_at_a_time and len(batch) > 1:
                one_at_a_time = True  # maybe one probe wedged the whole process: isolate each
                continue
            if not heard:
                return _not_run(exc.message)
            results[batch[0]] = _failed(by_id[batch[0]], exc.message)
            pending = [p for p in pending if p not in results]
            continue
        att = _parse(out.stdout)
        if not att.started:
            return _not_run(f"{runner.description}: the probe agent did not start: {exit_reason(out, budget_s)}")
        heard = True
        results.update({k: v for k, v in att.results.items() if k in by_id})
        if att.flags is not None and not flags:
            flags = att.flags
            loaded = decode_loaded(att.loaded)
        if not att.done:
            running = att.running
            reason = exit_reason(out, budget_s if running in by_id else IMPORT_BUDGET_S)
            if running is not None and running in by_id:
                results[running] = _failed(by_id[running], reason)
            elif running and running.startswith("import:"):
                fw = running.split(":", 1)[1]
                for pid in batch:
                    if pid not in results and by_id[pid].framework == fw:
                        results[pid] = _failed(by_id[pid], f"importing {fw}: {reason}")
            else:  # died outside any probe (prelude, flags): nothing to isolate, all fail alike
                for pid in batch:
                    results.setdefault(pid, _failed(by_id[pid], f"{running or 'worker'}: {reason}"))
        for pid in batch:
            if att.done and pid not in results:
                results[pid] = _failed(by_id[pid], "the worker reported no result")
        pending = [p for p in pending if p not in results]
    ordered = [results[s.id] for s in specs]
    failed = sum(r.status == "failed" for r in ordered)
    section = Probes(
        status="ok", reason=f"{failed} of {len(ordered)} probes failed" if failed else None, results=ordered
    )
    return ProbeRun(probes=section, flags=flags, loaded=loaded)


def _cuda_runtime(v: Any) -> Optional[str]:
    """A CUDA runtime version as the runtime API reports it: 12040 -> "12.4"."""
    if v is None or isinstance(v, str):
        return v
    return f"{int(v) // 1000}.{(int(v) % 1000) // 10}"


def _lib_version(v: Any) -> Optional[str]:
    """cuDNN / NCCL integer versions: 8902 -> "8.9.2" (major*1000); 90100 -> "9.1.0" and NCCL's
    21805 -> "2.18.5" (major*10000, the encoding cuDNN 9 and NCCL 2.9+ use)."""
    if v is None or isinstance(v, str):
        return v
    n = int(v)
    if n >= 10000:
        return f"{n // 10000}.{(n % 10000) // 100}.{n % 100}"
    return f"{n // 1000}.{(n % 1000) // 100}.{n % 100}"


def decode_loaded(raw: Dict[str, Dict[str, Any]]) -> Tuple[FrameworkCuda, ...]:
    """The worker's raw per-framework values as typed records (versions decoded)."""
    out = []
    for fw, info in sorted(raw.items()):
        try:
            out.append(
                FrameworkCuda(
                    framework=fw,
                    version=str(info["version"]) if info.get("version") else None,
                    cuda=_cuda_runtime(info.get("cuda")),
                    cudnn=_lib_version(info.get("cudnn")),
                    nccl=_lib_version(info.get("nccl")),
                    how="loaded",
                )
            )
        except (TypeError, ValueError) as exc:
            out.append(FrameworkCuda(framework=fw, how="loaded", error=f"unreadable versions: {exc}"))
    return tuple(out)
