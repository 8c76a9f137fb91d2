"""Run the user's command as if envsnap were not there, while keeping a copy of its output.

stdin is inherited; stdout and stderr each go to envsnap's own stdout and stderr as they
arrive (unbuffered, so progress output stays live) and into one combined log. Ctrl-C reaches
the command through the terminal's process group as usual (envsnap itself ignores it while
waiting, so the run is still recorded); SIGTERM/SIGHUP sent to envsnap are forwarded.
Peak memory comes from wait4() on this child alone, so envsnap's own helpers do not count.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import BinaryIO, List, Mapping, Optional, Sequence

from ..errors import InputError


@dataclass(frozen=True)
class ProcessResult:
    exit_code: int  # shell convention: 128+N when killed by signal N
    log: bytes  # stdout and stderr, interleaved in arrival order
    peak_rss_bytes: Optional[int]
    duration_s: float
    interrupted: bool  # ended by SIGINT/SIGTERM


class _Log:
    def __init__(self) -> None:
        self._parts: List[bytes] = []
        self._lock = threading.Lock()

    def add(self, data: bytes) -> None:
        with self._lock:
            self._parts.append(data)

    def value(self) -> bytes:
        with self._lock:
            return b"".join(self._parts)


def _pump(src: BinaryIO, dst: BinaryIO, log: _Log) -> None:
    fd = src.fileno()
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        log.add(chunk)
        try:
            dst.write(chunk)
            dst.flush()
        except (OSError, ValueError):
            pass  # our own stdout closed (e.g. `| head`): keep logging, the command goes on
    src.close()


def run_teed(argv: Sequence[str], *, cwd: str, env: Mapping[str, str]) -> ProcessResult:
    if not argv:
        raise InputError("command", "nothing to run (give it after --)")
    started = time.monotonic()
    try:
        proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise InputError(argv[0], "command not found") from None
    except PermissionError:
        raise InputError(argv[0], "permission denied") from None
    except OSError as exc:
        raise InputError(argv[0], f"cannot run: {exc.strerror or exc}") from None

    log = _Log()
    out = getattr(sys.stdout, "buffer", sys.stdout)
    err = getattr(sys.stderr, "buffer", sys.stderr)
    pumps = [
        threading.Thread(target=_pump, args=(proc.stdout, out, log), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, err, log), daemon=True),
    ]
    for t in pumps:
        t.start()

    interrupted = {"flag": False}

    def forward(signum: int, _frame: object) -> None:
        interrupted["flag"] = True
        if signum != signal.SIGINT:  # SIGINT already reached the child via the process group
            try:
                proc.send_signal(signum)
            except ProcessLookupError:
                pass

    in_main = threading.current_thread() is threading.main_thread()
    previous = {}
    if in_main:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, forward)
    try:
        while True:
            try:
                _, status, usage = os.wait4(proc.pid, 0)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                status, usage = 0, None
                break
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
    for t in pumps:
        t.join()
    code = proc.returncode
    if code < 0:  # killed by a signal: report it the way shells do
        interrupted["flag"] = interrupted["flag"] or -code in (signal.SIGINT, signal.SIGTERM)
        code = 128 - code
    peak = usage.ru_maxrss * 1024 if usage is not None and sys.platform.startswith("linux") else (
        usage.ru_maxrss if usage is not None else None
    )
    return ProcessResult(code, log.value(), peak, time.monotonic() - started, interrupted["flag"])
