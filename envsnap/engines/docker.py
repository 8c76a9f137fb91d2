"""The Docker engine, and the one module that imports ``docker``.

Every failure a user can meet becomes an EngineError with one clear line (and the relevant log
tail): no daemon, permission denied on the socket, base image missing, a step failing.
Containers are always removed, also on timeout and Ctrl-C. Progress leaves as events.
"""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import docker
import docker.errors
import requests.exceptions

from ..errors import EngineError, InputError, OutputError
from ..events import BuildOutput, BuildStep, EventSink, discard
from ..fsutil import write_bytes_atomic
from ..redact import Redactor
from .base import BuiltImage, CapturedRun, ImageInfo, OutputSink, PathLike, RunResult, RunSpec

TAIL_LINES = 25
_STEP_RE = re.compile(r"^Step (\d+)/(\d+) : (.*)$")


def _remove(container: Any) -> None:
    """Force-remove a container, whatever state it is in (already gone is fine)."""
    if container is not None:
        try:
            container.remove(force=True)
        except docker.errors.APIError:
            pass


def _connect_error(exc: Exception) -> EngineError:
    text = str(exc)
    if "Permission denied" in text or "PermissionError" in text:
        return EngineError("permission denied on the Docker socket: add your user to the `docker` group "
                           "(then log in again) or run as root")
    if "No such file or directory" in text or "Connection refused" in text or "Error while fetching" in text:
        return EngineError("cannot reach the Docker engine: is dockerd running? "
                           "(start it, or set DOCKER_HOST; integration/provision.sh starts one)")
    return EngineError(f"cannot use the Docker engine: {text.splitlines()[0] if text else type(exc).__name__}")


class DockerEngine:
    """A connected Docker engine (DOCKER_HOST and friends as the docker CLI reads them)."""

    name = "docker"

    def __init__(self, *, timeout: int = 600) -> None:
        try:
            self.client = docker.from_env(timeout=timeout)
            self.client.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            raise _connect_error(exc) from None

    # --- images -------------------------------------------------------------------------

    def image_info(self, ref: str) -> Optional[ImageInfo]:
        try:
            img = self.client.images.get(ref)
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.APIError as exc:
            raise EngineError(f"cannot inspect image {ref}: {exc.explanation or exc}") from None
        cfg = img.attrs.get("Config") or {}
        env = dict(e.split("=", 1) for e in cfg.get("Env") or [] if "=" in e)
        return ImageInfo(img.id, list(img.tags), list(img.attrs.get("RepoDigests") or []), env,
                         dict(cfg.get("Labels") or {}))

    def remove_image(self, ref: str) -> None:
        try:
            self.client.images.remove(ref, force=True, noprune=False)
        except docker.errors.ImageNotFound:
            pass

    def save(self, images: Sequence[str], path: PathLike) -> Path:
        """``docker save`` of several images into one tar (written atomically)."""
        refs = list(dict.fromkeys(images))
        for r in refs:
            if self.image_info(r) is None:
                raise EngineError(f"cannot save {r}: no such image")
        target = Path(path)
        tmp = target.with_name(f".{target.name}.part")
        api = self.client.api
        try:
            resp = api.get(api._url("/images/get"), params={"names": refs}, stream=True)
            api._raise_for_status(resp)
            with open(tmp, "wb") as fh:
                for chunk in resp.iter_content(1 << 20):
                    fh.write(chunk)
            tmp.replace(target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise OutputError(target, f"cannot write: {exc.strerror or exc}") from None
        except docker.errors.APIError as exc:
            tmp.unlink(missing_ok=True)
            raise EngineError(f"docker save failed: {exc.explanation or exc}") from None
        return target

    def load(self, path: PathLike) -> List[str]:
        try:
            with open(path, "rb") as fh:
                images = self.client.images.load(fh)
        except OSError as exc:
            raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
        except docker.errors.APIError as exc:
            raise EngineError(f"docker load of {path} failed: {exc.explanation or exc}") from None
        return sorted(t for img in images for t in (img.tags or [img.id]))

    # --- build --------------------------------------------------------------------------

    def build(self, context_dir: PathLike, tag: str, *, build_args: Optional[Mapping[str, str]] = None,
              log_path: Optional[PathLike] = None, nocache: bool = False, network: Optional[str] = None,
              on_event: Optional[EventSink] = None) -> BuiltImage:
        """Build ``context_dir``/Dockerfile; steps and output as events, the full log saved."""
        emit = on_event or discard
        red = Redactor()
        lines: List[str] = []
        steps = cached = 0
        step_cached: List[bool] = []  # per RUN/COPY/ADD step: served from cache?
        current = ""
        image_id: Optional[str] = None
        error: Optional[str] = None
        try:
            stream = self.client.api.build(
                path=str(context_dir), tag=tag, rm=True, forcerm=True, pull=False, decode=True,
                buildargs=dict(build_args or {}), nocache=nocache, network_mode=network,
            )
            for chunk in stream:
                if "stream" in chunk:
                    for ln in chunk["stream"].splitlines():
                        ln = red.text(ln.rstrip())
                        if not ln:
                            continue
                        lines.append(ln)
                        m = _STEP_RE.match(ln)
                        if m:
                            steps += 1
                            if re.match(r"(RUN|COPY|ADD) ", m.group(3)):
                                step_cached.append(False)
                            current = f"step {m.group(1)}/{m.group(2)}: {m.group(3)[:90]}"
                            emit(BuildStep(tag, int(m.group(1)), int(m.group(2)), m.group(3)))
                        elif ln.strip() == "---> Using cache":
                            cached += 1
                            if step_cached:
                                step_cached[-1] = True
                        emit(BuildOutput(tag, ln))
                elif "aux" in chunk and isinstance(chunk["aux"], dict) and "ID" in chunk["aux"]:
                    image_id = chunk["aux"]["ID"]
                elif "error" in chunk or "errorDetail" in chunk:
                    error = red.text(str(chunk.get("error") or chunk["errorDetail"].get("message")))
                    lines.append(f"ERROR: {error}")
        except docker.errors.APIError as exc:
            error = red.text(str(exc.explanation or exc))
            lines.append(f"ERROR: {error}")
        except (requests.exceptions.RequestException, docker.errors.DockerException) as exc:
            raise _connect_error(exc) from None
        finally:
            if log_path is not None:
                write_bytes_atomic(Path(log_path), ("\n".join(lines) + "\n").encode("utf-8"))
        if error is not None:
            raise self._build_error(error, current, lines, log_path)
        if image_id is None:
            try:
                image_id = self.client.images.get(tag).id
            except docker.errors.ImageNotFound:
                raise EngineError(f"build of {tag} finished without an image", log_tail=lines[-TAIL_LINES:]) from None
        warnings = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("envsnap-warning:")]
        return BuiltImage(id=image_id, tag=tag, log_path=Path(log_path) if log_path else None,
                          cached=bool(step_cached) and all(step_cached), steps=steps, cached_steps=cached,
                          warnings=warnings)

    @staticmethod
    def _build_error(error: str, step: str, lines: List[str], log_path: Optional[PathLike]) -> EngineError:
        where = f" (full log: {log_path})" if log_path else ""
        tail = lines[-TAIL_LINES:]
        low = error.lower()
        if any(s in low for s in ("pull access denied", "repository does not exist", "manifest unknown",
                                  "not found: manifest", "no such image")) or \
                (step.startswith("step 1/") and ("not found" in low or "no such host" in low)):
            return EngineError(f"base image missing: {error} (no registry is reachable: build or load the image "
                               f"locally, e.g. integration/provision.sh, or pass --base-image){where}", log_tail=tail)
        failed = next((ln for ln in reversed(lines) if re.search(r"ERROR: (Could not|No matching|THESE PACKAGES|"
                                                                  r"Hashes are required|Could not find)", ln)), None)
        what = f"{step}: {error}" if step else error
        if failed and failed not in what:
            what += f" ({failed.strip()[:200]})"
        return EngineError(f"image build failed at {what}{where}", log_tail=tail)

    # --- run ----------------------------------------------------------------------------

    def run(self, spec: RunSpec, *, on_output: Optional[OutputSink] = None) -> RunResult:
        """Run ``spec`` to completion; the container is removed whatever happens."""
        from docker.types import DeviceRequest

        red = Redactor(known_secrets=[v for v in spec.env.values() if v])
        name = spec.name or f"envsnap-run-{int(time.time() * 1000)}"
        devices = None
        if spec.gpus is not None:
            devices = [DeviceRequest(count=-1, capabilities=[["gpu"]]) if spec.gpus.all
                       else DeviceRequest(device_ids=list(spec.gpus.device_ids or ()), capabilities=[["gpu"]])]
        chunks: List[str] = []
        started = time.monotonic()
        container = None
        timed_out = interrupted = False
        exit_code: Optional[int] = None
        try:
            container = self._start(spec, name=name, device_requests=devices)

            def pump() -> None:
                buf = ""
                for data in container.logs(stream=True, follow=True):
                    buf += data.decode("utf-8", "replace")
                    while "\n" in buf:
                        ln, buf = buf.split("\n", 1)
                        ln = red.text(ln)
                        chunks.append(ln + "\n")
                        if on_output:
                            on_output(ln)
                if buf:
                    chunks.append(red.text(buf))
                    if on_output:
                        on_output(red.text(buf))

            reader = threading.Thread(target=pump, daemon=True)
            reader.start()
            deadline = None if spec.timeout_s is None else started + spec.timeout_s
            while True:
                wait_s = 1.0 if deadline is None else max(0.05, min(1.0, deadline - time.monotonic()))
                try:
                    exit_code = int(container.wait(timeout=wait_s)["StatusCode"])
                    break
                except (requests.exceptions.ConnectionError, requests.exceptions.ReadTimeout):
                    if deadline is not None and time.monotonic() >= deadline:
                        timed_out = True
                        container.kill()
                        break
            reader.join(timeout=10)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            _remove(container)
        return RunResult(exit_code=exit_code, timed_out=timed_out, interrupted=interrupted, log="".join(chunks),
                         duration_s=round(time.monotonic() - started, 3), container_name=name)

    def run_captured(self, spec: RunSpec) -> CapturedRun:
        """Run a short command and return its stdout and stderr apart (unscrubbed: the caller
        scrubs what it keeps). The container is removed whatever happens."""
        container = None
        try:
            container = self._start(spec, name=spec.name)
            try:
                code: Optional[int] = int(container.wait(timeout=spec.timeout_s)["StatusCode"])
            except (requests.exceptions.ConnectionError, requests.exceptions.ReadTimeout):
                container.kill()
                code = None
            out = container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
            err = container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
            return CapturedRun(code, out, err)
        finally:
            _remove(container)

    def _start(self, spec: RunSpec, *, name: Optional[str], device_requests: Optional[list] = None) -> Any:
        """Start a detached container; every way this fails becomes one EngineError."""
        from docker.types import Mount as DockerMount

        image = spec.image
        kwargs: Dict[str, object] = {
            "command": list(spec.command), "detach": True, "environment": dict(spec.env),
            "labels": dict(spec.labels),
            "mounts": [DockerMount(target=m.target, source=m.source, type="bind", read_only=m.read_only)
                       for m in spec.mounts],
        }
        for key, value in (("user", spec.user), ("network_mode", spec.network), ("working_dir", spec.workdir),
                           ("name", name), ("device_requests", device_requests)):
            if value is not None:
                kwargs[key] = value
        try:
            return self.client.containers.run(image, **kwargs)
        except docker.errors.ImageNotFound:
            raise EngineError(f"cannot run: image {image} does not exist") from None
        except docker.errors.APIError as exc:
            msg = str(exc.explanation or exc)
            if device_requests and ("gpu" in msg.lower() or "nvidia" in msg.lower()):
                raise EngineError(f"cannot give the container GPUs: {msg} (is the NVIDIA container toolkit "
                                  "installed and the driver loaded?)") from None
            raise EngineError(f"cannot start a container from {image}: {msg}") from None
        except (requests.exceptions.RequestException, docker.errors.DockerException) as exc:
            raise _connect_error(exc) from None

    def containers_with_label(self, label: str) -> List[str]:
        """Names of containers (running or not) carrying ``label`` (key or key=value)."""
        try:
            return [c.name for c in self.client.containers.list(all=True, filters={"label": label})]
        except docker.errors.APIError as exc:
            raise EngineError(f"cannot list containers: {exc.explanation or exc}") from None

    def remove_containers(self, label: str) -> List[str]:
        """Force-remove every container carrying ``label``; returns their names."""
        removed: List[str] = []
        try:
            for c in self.client.containers.list(all=True, filters={"label": label}):
                try:
                    c.remove(force=True)
                    removed.append(c.name)
                except docker.errors.NotFound:
                    pass
        except (docker.errors.APIError, requests.exceptions.RequestException):
            pass  # best effort: called on the way out of an error already being reported
        return removed
