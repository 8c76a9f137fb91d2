"""``envsnap replay SNAPSHOT -o OUT``: rebuild the environment, rerun the command in it, compare.

Order matters for the user: everything that can refuse cheaply (bad snapshot, changed data,
GPU host unfit) does so before the image is built. The snapshot is only read; everything
goes to OUT. Every container of one replay carries the label ``dev.envsnap.replay=<id>`` and
all of them are removed on the way out, whatever happened (crash, timeout, Ctrl-C).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Sequence, Tuple

from ..errors import DataMismatchError, EngineError, EnvsnapError, InputError, OutputError, UsageError
from ..fsutil import cache_dir, check_output_folder, write_text_atomic
from ..manifest_io import dumps, load_manifest, load_run
from ..model import Manifest, RunRecord
from ..redact import Redactor
from .options import ReplayOptions
from .report import ReplayReport, causes, render_json, render_markdown

LABEL = "dev.envsnap.replay"
CONTAINER_ROOT = "/workspace"  # the image's WORKDIR: the restored code goes here
METRICS_DIR = "/opt/envsnap-run"
SHIM_DIR = "/opt/envsnap-shim"
LOG_TAIL = 30
# Never passed into the container: host paths or device selections that mean something else there.
_ENV_NOT_PASSED = {"LD_PRELOAD", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"}
_PYTHON_NAME = re.compile(r"python(\d+(\.\d+)?)?")


@dataclass(frozen=True)
class ReplayResult:
    out: Path
    report: ReplayReport
    exit_code: int


# --- inputs --------------------------------------------------------------------------------

def load_snapshot(snapshot: Path) -> Tuple[Manifest, RunRecord]:
    if not snapshot.is_dir():
        raise InputError(snapshot, "is not a snapshot folder (expected the output of `envsnap run`)")
    if not (snapshot / "run.json").is_file():
        raise InputError(snapshot, "has no run.json: a capture, not a run (make one with `envsnap run`)")
    return load_manifest(snapshot / "manifest.json"), load_run(snapshot / "run.json")


def prepare_out(out: Path, snapshot: Path, *, force: bool) -> None:
    if out.resolve() == snapshot.resolve() or snapshot.resolve() in out.resolve().parents:
        raise OutputError(out, "is inside the snapshot; the snapshot is never modified, choose another folder")
    check_output_folder(out, force=force)
    if out.exists() and any(out.iterdir()):
        shutil.rmtree(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(out, f"cannot create: {exc.strerror or exc}") from None


def data_locations(run: RunRecord, opts: ReplayOptions, restored_cwd: Path) -> List[Path]:
    """Where each recorded input is on this host."""
    out: List[Path] = []
    for d in run.data:
        if opts.data_dir is not None:
            base = opts.data_dir
            out.append(base if len(run.data) == 1 else base / PurePosixPath(d.path).name)
            continue
        p = Path(d.path)
        if p.is_absolute():
            out.append(p)
            continue
        cands = [Path(run.cwd) / p, restored_cwd / p, Path.cwd() / p]
        out.append(next((c for c in cands if c.exists()), cands[0]))
    return out


def verify_data(run: RunRecord, locations: Sequence[Path], allow: bool) -> List[str]:
    from ..run.data import compare

    notes: List[str] = []
    problems: List[str] = []
    for d, loc in zip(run.data, locations):
        change = compare(d, loc)
        if change is None:
            notes.append(f"{d.path}: verified ({len(d.files)} files, sha256 {d.digest[:12]}) at {loc}")
        else:
            problems.append(change.describe())
    if problems and not allow:
        raise DataMismatchError(
            "input data differs from the snapshot: " + " | ".join(problems)
            + " (use --allow-data-change to replay anyway, or --data-dir to point at the original data)"
        )
    return notes + [f"{p} (allowed by --allow-data-change)" for p in problems]


def container_command(argv: Sequence[str]) -> List[str]:
    """The image puts the captured venv first on PATH: a python named by a host path becomes `python`."""
    if argv and "/" in argv[0] and _PYTHON_NAME.fullmatch(os.path.basename(argv[0])):
        return ["python", *argv[1:]]
    return list(argv)


def numerics_env(run: RunRecord, manifest: Manifest, overrides: Dict[str, str]) -> Dict[str, str]:
    env = {k: v for k, v in {**manifest.numerics.env, **run.numerics_env}.items() if k not in _ENV_NOT_PASSED}
    env.update(overrides)
    return dict(sorted(env.items()))


# --- the replay ----------------------------------------------------------------------------

class _BuildLock:
    """Serialise builds of one manifest across concurrent replays (the second finds the cache)."""

    def __init__(self, key: str) -> None:
        base = cache_dir("locks")
        base.mkdir(parents=True, exist_ok=True)
        self.path = base / f"build-{key[:16]}.lock"

    def __enter__(self) -> "_BuildLock":
        self.fh = open(self.path, "w")
        fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def _say(msg: str) -> None:
    print(f"envsnap: {msg}", file=sys.stderr, flush=True)


def replay_snapshot(snapshot: Path, out: Path, opts: ReplayOptions = ReplayOptions(), *,
                    envsnap_argv: Sequence[str] = (), engine=None) -> ReplayResult:
    from ..run import collect_outputs_with_metrics, utc_iso
    from ..run.code import restore_code
    from .gpu import check_gpu_host, host_nvidia, parse_gpus

    snapshot, out = Path(snapshot), Path(out).absolute()
    manifest, run = load_snapshot(snapshot)
    try:
        gpu_ids = parse_gpus(opts.gpus)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    prepare_out(out, snapshot, force=opts.force)
    warnings: List[str] = []
    if run.partial:
        warnings.append("the original run was interrupted: its outputs are partial")
    if run.exit_code != 0:
        warnings.append(f"the original run exited with status {run.exit_code}")

    # Cheap refusals first: code, data, GPUs.
    workspace = out / "workspace"
    restored_cwd = restore_code(run.code, snapshot, workspace, code_dir=opts.code_dir)
    if run.code.kind == "none":
        warnings.append("the snapshot holds no code state")
    locations = data_locations(run, opts, restored_cwd)
    data_notes = verify_data(run, locations, opts.allow_data_change)
    gpu = check_gpu_host(manifest, host_nvidia() if (gpu_ids != []) else _no_gpu(), gpus=gpu_ids)
    if not gpu.ok:
        raise EnvsnapError("this host cannot replay the GPU run: " + "; ".join(gpu.refusals))
    warnings += gpu.warnings

    from ..engine import build
    from ..engine.docker_engine import Engine, Mount

    engine = engine or Engine()
    replay_id = uuid.uuid4().hex[:12]
    labels = {LABEL: replay_id, f"{LABEL}.snapshot": str(snapshot.resolve())}
    redactor = Redactor()
    try:
        key = _image_key(snapshot, opts)
        with _BuildLock(key):
            built = _cached_image(engine, key)
            if built is None:
                _say(f"building the image of {snapshot} (cached after the first time)")
                res = build(manifest, base_image=opts.base_image, ca_bundle=opts.ca_bundle,
                            wheelhouse=opts.wheelhouse, engine=engine, progress=not opts.quiet)
                built = {"tag": res.image.tag, "id": res.image.id, "base": res.base_image, "cached": res.image.cached,
                         "python": res.context.python.provider, "python_exact": res.context.python.exact,
                         "warnings": list(res.warnings),
                         "log": str(res.image.log_path) if res.image.log_path else None}
                _remember_image(key, built)
            else:
                built = dict(built, cached=True)
        if built.get("log") and Path(built["log"]).is_file():
            shutil.copyfile(built["log"], out / "build.log")
        warnings += list(built["warnings"])
        image = built["tag"]

        # Mounts: code (rw, outputs land there), inputs (ro, where the command expects them).
        cwd_in = str(PurePosixPath(CONTAINER_ROOT) / (run.code.cwd if run.code.cwd not in ("", ".") else ""))
        cwd_in = cwd_in.rstrip("/") or CONTAINER_ROOT
        mounts = [Mount(str(workspace.resolve()), CONTAINER_ROOT, read_only=False)]
        for d, loc in zip(run.data, locations):
            target = d.path if PurePosixPath(d.path).is_absolute() else str(PurePosixPath(cwd_in) / d.path)
            mounts.append(Mount(str(loc.resolve()), str(PurePosixPath(target)), read_only=True))
        run_dir = out / ".run"
        run_dir.mkdir()
        env = numerics_env(run, manifest, opts.env)
        user = f"{os.getuid()}:{os.getgid()}"
        train_env = dict(env, ENVSNAP_METRICS_FILE=f"{METRICS_DIR}/metrics.jsonl")
        train_mounts = mounts + [Mount(str(run_dir.resolve()), METRICS_DIR, read_only=False)]
        if manifest.package("envsnap") is None:
            from ..run.shim import write_shim

            shim = write_shim(out / ".shim")
            train_mounts.append(Mount(str(shim.resolve()), SHIM_DIR, read_only=True))
            train_env["PYTHONPATH"] = SHIM_DIR
        command = container_command(run.argv)

        # The in-container capture runs beside the training, in the same image and environment.
        captured: Dict[str, object] = {}

        def capture() -> None:
            from ..capture import capture_environment
            from .container import ContainerRunner

            runner = ContainerRunner(engine, image, env=env, user=user, network=opts.network, workdir=cwd_in,
                                     labels=labels, mounts=mounts)
            try:
                captured["manifest"] = capture_environment(runner=runner, probes=opts.probes,
                                                           argv=list(envsnap_argv), redactor=redactor)
            except EnvsnapError as exc:
                captured["error"] = exc.message
            except Exception as exc:  # noqa: BLE001 - reported in the replay report, never fatal
                captured["error"] = f"{type(exc).__name__}: {exc}"

        capture_thread = threading.Thread(target=capture, daemon=True)
        capture_thread.start()
        _say(f"running `{' '.join(command)}` in {image}")

        def on_log(line: str) -> None:
            if not opts.quiet:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()

        started = time.monotonic()
        result = engine.run(image, command, mounts=train_mounts, env=train_env, user=user, gpus=gpu.attach,
                            gpu_ids=[str(i) for i in gpu_ids] if gpu_ids else None, network=opts.network,
                            timeout=opts.timeout_s, workdir=cwd_in, name=f"envsnap-replay-{replay_id}",
                            on_log=on_log, labels=labels)
        duration = time.monotonic() - started
        if result.interrupted:
            _say("interrupted: container stopped and removed; collecting partial outputs")
        capture_thread.join(timeout=None if not result.interrupted else 30)

        # Collect: outputs, metrics, log, manifest, run record.
        copied, metrics = collect_outputs_with_metrics(restored_cwd, run.output_patterns, out,
                                                       run_dir / "metrics.jsonl", redactor)
        argv_scrubbed = redactor.argv(command)
        write_text_atomic(out / "log.txt", redactor.text(result.log))
        partial = result.timed_out or result.interrupted
        status = "timeout" if result.timed_out else "interrupted" if result.interrupted else None
        if status is None and result.exit_code not in (0, None):
            status = "crashed"
        rec = RunRecord(
            argv=argv_scrubbed, cwd=cwd_in, started_at=utc_iso(time.time() - duration), ended_at=utc_iso(),
            duration_s=round(duration, 3), exit_code=result.exit_code if result.exit_code is not None else -1,
            code=run.code, data=run.data, outputs=copied, output_patterns=list(run.output_patterns),
            metrics=metrics, partial=partial, numerics_env=env,
        )
        write_text_atomic(out / "run.json", dumps(rec, redactor))
        if "manifest" in captured:
            # The workspace is the recorded commit + patch by construction (restore_code checks the
            # patch applies), but it is no git checkout: carry the original's code state over so
            # the environment diff does not report a code change that did not happen.
            replayed: Manifest = captured["manifest"]  # type: ignore[assignment]
            replayed = replayed.model_copy(update={"git": manifest.git})
            write_text_atomic(out / "manifest.json", dumps(replayed, redactor))
        else:
            warnings.append(f"the in-container environment could not be captured: {captured.get('error', 'interrupted')}")
    except KeyboardInterrupt:
        # Ctrl-C outside the container wait (during the build, the capture, the collection).
        raise EngineError("interrupted: every container of this replay stopped and removed") from None
    finally:
        engine.remove_containers(f"{LABEL}={replay_id}")
        shutil.rmtree(out / ".run", ignore_errors=True)
        shutil.rmtree(out / ".shim", ignore_errors=True)

    # Compare and report.
    from ..diff import diff_snapshots
    from ..report.diff_json import to_data

    diff = diff_snapshots(snapshot, out, rtol=opts.rtol, atol=opts.atol)
    verdict = diff.verdict.value
    if status is None:
        status = {"BITWISE_IDENTICAL": "identical", "WITHIN_ULP": "within_tolerance",
                  "WITHIN_TOLERANCE": "within_tolerance"}.get(verdict, "diverged")
    exit_code = {"identical": 0, "within_tolerance": 0, "diverged": 1}.get(status, 2)
    tail = redactor.text(result.log).splitlines()[-LOG_TAIL:]
    report = ReplayReport(
        status=status, verdict=verdict, exit_code=exit_code, snapshot=str(snapshot), replay=str(out),
        command=argv_scrubbed, container_exit_code=result.exit_code, duration_s=round(duration, 3),
        original_duration_s=run.duration_s,
        image={k: built[k] for k in ("tag", "id", "base", "cached", "python", "python_exact")},
        gpu={"used": gpu.used, "attached": gpu.attach, "requested": opts.gpus},
        env_overrides=dict(opts.env), data=data_notes, warnings=[redactor.text(w) for w in warnings],
        partial=partial, log_tail=tail if status in ("crashed", "timeout", "interrupted") else [],
        top_causes=causes(diff), evidence=list(diff.env.evidence) if diff.env else [], diff=to_data(diff),
    )
    write_text_atomic(out / "report.json", render_json(report))
    write_text_atomic(out / "report.md", render_markdown(report, diff))
    if status == "crashed":
        raise EngineError(f"the training exited with status {result.exit_code} in the container "
                          f"(report: {out / 'report.md'}); last lines:", log_tail=tail[-15:])
    if status == "timeout":
        raise EngineError(f"the replay hit --timeout after {duration:.0f} s: container stopped and removed, "
                          f"partial outputs kept in {out / 'outputs'} (report: {out / 'report.md'})")
    if status == "interrupted":
        raise EngineError(f"interrupted: container stopped and removed, partial outputs kept in {out / 'outputs'}")
    return ReplayResult(out, report, exit_code)


def _cache_dir() -> Path:
    return cache_dir("replay-images")


def _image_key(snapshot: Path, opts: ReplayOptions) -> str:
    """Same manifest bytes + same build options -> same Dockerfile -> the same image."""
    h = hashlib.sha256((snapshot / "manifest.json").read_bytes())
    ca = hashlib.sha256(Path(opts.ca_bundle).read_bytes()).hexdigest() if opts.ca_bundle and Path(opts.ca_bundle).is_file() else ""
    h.update(json.dumps([opts.base_image, opts.wheelhouse, ca]).encode())
    return h.hexdigest()


def _cached_image(engine, key: str) -> Optional[dict]:
    """A previous replay's image of this key, if the engine still has it under the same id.
    Skips lock + render + a fully cached docker build (several seconds) on repeated replays."""
    try:
        rec = json.loads((_cache_dir() / f"{key[:32]}.json").read_text())
    except (OSError, ValueError):
        return None
    info = engine.image_info(rec.get("tag", ""))
    return rec if info is not None and info.id == rec.get("id") else None


def _remember_image(key: str, rec: dict) -> None:
    try:
        _cache_dir().mkdir(parents=True, exist_ok=True)
        write_text_atomic(_cache_dir() / f"{key[:32]}.json", json.dumps(rec, sort_keys=True))
    except EnvsnapError:
        pass  # a cache, never a reason to fail


def _no_gpu():
    from ..model import Nvidia

    return Nvidia(status="skipped", reason="--gpus none")
