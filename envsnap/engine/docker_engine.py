"""The one module that imports ``docker``: build, run, save, inspect, clean up.

Every failure a user can meet becomes an EngineError with one clear line (and the relevant log
tail): no daemon, permission denied on the socket, base image missing, a step failing.
Containers are always removed, also on timeout and Ctrl-C.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import docker
import docker.errors
import requests.exceptions
from rich.console import Console

from ..errors import EngineError, OutputError
from ..fsutil import write_bytes_atomic
from ..redact import Redactor

TAIL_LINES = 25
_STEP_RE = re.compile(r"^Step (\d+)/(\d+) : (.*)$")


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: List[str]
    repo_digests: List[str]  # name@sha256:...
    env: Dict[str, str] = field(default_factory=dict)  # Config.Env
    labels: Dict[str, str] = field(default_factory=dict)  # Config.Labels

    def digest_for(self, ref: str) -> Optional[str]:
        """The sha256 digest of ``ref``'s repository, when the engine knows one."""
        repo = ref.split("@", 1)[0]
        if ":" in repo.rsplit("/", 1)[-1]:
            repo = repo.rsplit(":", 1)[0]
        for rd in self.repo_digests:
            name, _, digest = rd.partition("@")
            if name == repo or name.endswith("/" + repo):
                return digest
        return None


@dataclass(frozen=True)
class BuiltImage:
    id: str
    tag: str
    log_path: Optional[Path]
    cached: bool  # every step was served from the build cache
    steps: int
    cached_steps: int
    warnings: List[str] = field(default_factory=list)  # "envsnap-warning:" lines of the build


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class RunResult:
    exit_code: Optional[int]
    timed_out: bool
    interrupted: bool
    log: str  # stdout+stderr, scrubbed
    duration_s: float
    container_name: str


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


class Engine:
    """A connected Docker engine."""

    def __init__(self, *, timeout: int = 600, console: Optional[Console] = None) -> None:
        try:
            self.client = docker.from_env(timeout=timeout)
            self.client.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            raise _connect_error(exc) from None
        self.console = console or Console(stderr=True)

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

    def save(self, images: Sequence[str], path: Union[str, Path]) -> Path:
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

    # --- build --------------------------------------------------------------------------

    def build(
        self,
        context_dir: Union[str, Path],
        tag: str,
        *,
        build_args: Optional[Mapping[str, str]] = None,
        log_path: Optional[Union[str, Path]] = None,
        nocache: bool = False,
        progress: bool = True,
        network: Optional[str] = None,
    ) -> BuiltImage:
        """Build ``context_dir``/Dockerfile, live progress on stderr, full log saved."""
        red = Redactor()
        lines: List[str] = []
        steps = cached = 0
        step_cached: List[bool] = []  # per RUN/COPY/ADD step: served from cache?
        current = ""
        image_id: Optional[str] = None
        error: Optional[str] = None
        status = self.console.status(f"building {tag}", spinner="dots") if progress else None
        if status:
            status.start()
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
                            if progress and not self.console.is_terminal:
                                self.console.print(current, highlight=False, markup=False, soft_wrap=True)
                        elif ln.strip() == "---> Using cache":
                            cached += 1
                            if step_cached:
                                step_cached[-1] = True
                        if status:
                            status.update(f"[bold]{tag}[/] {current}\n  {ln[:110]}".replace("[", "\\[", 0))
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
            if status:
                status.stop()
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
    def _build_error(error: str, step: str, lines: List[str], log_path: Optional[Union[str, Path]]) -> EngineError:
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

    def run(
        self,
        image: str,
        command: Sequence[str],
        *,
        mounts: Sequence[Mount] = (),
        env: Optional[Mapping[str, str]] = None,
        user: Optional[str] = None,
        gpus: bool = False,
        network: Optional[str] = None,
        timeout: Optional[float] = None,
        workdir: Optional[str] = None,
        name: Optional[str] = None,
        on_log: Optional[Callable[[str], None]] = None,
        labels: Optional[Mapping[str, str]] = None,
        gpu_ids: Optional[Sequence[str]] = None,
    ) -> RunResult:
        """Run ``command`` in ``image``; the container is removed whatever happens."""
        from docker.types import DeviceRequest

        red = Redactor(known_secrets=[v for v in (env or {}).values() if v])
        name = name or f"envsnap-run-{int(time.time() * 1000)}"
        devices = None
        if gpus:
            devices = [DeviceRequest(device_ids=list(gpu_ids), capabilities=[["gpu"]]) if gpu_ids
                       else DeviceRequest(count=-1, capabilities=[["gpu"]])]
        chunks: List[str] = []
        started = time.monotonic()
        container = None
        timed_out = interrupted = False
        exit_code: Optional[int] = None
        try:
            container = self._start(image, command, mounts=mounts, env=env, user=user, network=network,
                                    workdir=workdir, labels=labels, name=name, device_requests=devices)

            def pump() -> None:
                buf = ""
                for data in container.logs(stream=True, follow=True):
                    buf += data.decode("utf-8", "replace")
                    while "\n" in buf:
                        ln, buf = buf.split("\n", 1)
                        ln = red.text(ln)
                        chunks.append(ln + "\n")
                        if on_log:
                            on_log(ln)
                if buf:
                    chunks.append(red.text(buf))
                    if on_log:
                        on_log(red.text(buf))

            reader = threading.Thread(target=pump, daemon=True)
            reader.start()
            deadline = None if timeout is None else started + timeout
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

    # --- short captured runs (added for replay: the in-container agent) --------------------

    def run_captured(
        self,
        image: str,
        command: Sequence[str],
        *,
        mounts: Sequence[Mount] = (),
        env: Optional[Mapping[str, str]] = None,
        user: Optional[str] = None,
        network: Optional[str] = None,
        timeout: Optional[float] = None,
        workdir: Optional[str] = None,
        labels: Optional[Mapping[str, str]] = None,
    ) -> "CapturedRun":
        """Run a short command and return its stdout and stderr apart (unscrubbed: the caller
        scrubs what it keeps). The container is removed whatever happens."""
        container = None
        try:
            container = self._start(image, command, mounts=mounts, env=env, user=user, network=network,
                                    workdir=workdir, labels=labels)
            try:
                code: Optional[int] = int(container.wait(timeout=timeout)["StatusCode"])
            except (requests.exceptions.ConnectionError, requests.exceptions.ReadTimeout):
                container.kill()
                code = None
            out = container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
            err = container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
            return CapturedRun(code, out, err)
        finally:
            _remove(container)

    def _start(self, image: str, command: Sequence[str], *, mounts: Sequence[Mount], env: Optional[Mapping[str, str]],
               user: Optional[str], network: Optional[str], workdir: Optional[str],
               labels: Optional[Mapping[str, str]], name: Optional[str] = None,
               device_requests: Optional[list] = None) -> Any:
        """Start a detached container; every way this fails becomes one EngineError."""
        from docker.types import Mount as DockerMount

        kwargs: Dict[str, object] = {
            "command": list(command), "detach": True, "environment": dict(env or {}), "labels": dict(labels or {}),
            "mounts": [DockerMount(target=m.target, source=m.source, type="bind", read_only=m.read_only) for m in mounts],
        }
        for key, value in (("user", user), ("network_mode", network), ("working_dir", workdir), ("name", name),
                           ("device_requests", device_requests)):
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


@dataclass(frozen=True)
class CapturedRun:
    exit_code: Optional[int]  # None: killed at the timeout
    stdout: str
    stderr: str
