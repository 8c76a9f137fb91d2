"""Benchmark `envsnap diff` on two 2 GiB float32 .npy files against cmp(1) on the same files.

Prints, for identical files and for files differing in a few elements, envsnap's wall time
(the whole process: interpreter start, imports, report) as a ratio to `cmp`, and envsnap's
peak RSS. Targets: identical <= 1.5x cmp, differing <= 3x cmp, peak RSS <= 300 MiB.
Both tools read warm page cache (each file pair is read once before timing). For the
differing pair the baseline is `cmp -l` (which reads to the end, as envsnap must; plain cmp
stops at the first differing byte). The files are written by a child process so that this
process stays small: a child's ru_maxrss starts from its parent's peak at fork.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZE = 2 << 30  # bytes of data per file
REPEAT = 3
ENVSNAP = [sys.executable, "-m", "envsnap"]


MAKE = r"""
import sys
import numpy as np
from pathlib import Path
SIZE = int(sys.argv[1])


def make(path):
    n = SIZE // 4
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n,))
    step = 1 << 24
    for i in range(0, n, step):
        k = min(step, n - i)
        idx = np.arange(i, i + k, dtype=np.uint64)
        arr[i:i + k] = ((idx * np.uint64(2654435761)) % np.uint64(1000003)).astype(np.float32) / np.float32(7.0)
    arr.flush()
    del arr


def perturb(path, n):
    arr = np.load(path, mmap_mode="r+")
    for k in range(1, 6):  # a few elements spread over the file, none at the start
        i = (k * 104_729_021) % n
        arr[i] = np.nextafter(arr[i], np.float32(np.inf)) if k % 2 else arr[i] + np.float32(1.0)
    arr.flush()
    del arr


import shutil
d = Path(sys.argv[2])
make(d / "a.npy")
shutil.copyfile(d / "a.npy", d / "same.npy")
shutil.copyfile(d / "a.npy", d / "diff.npy")
perturb(d / "diff.npy", SIZE // 4)
"""


def timed(cmd: list, sink: Path) -> tuple[float, int, int]:
    """(seconds, exit code, peak RSS bytes) of one child process; stdout to a real file
    (GNU cmp stops at the first difference when its output is /dev/null)."""
    t = time.perf_counter()
    with sink.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t
    return elapsed, os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024


def best(cmd: list, sink: Path) -> tuple[float, int, int]:
    runs = [timed(cmd, sink) for _ in range(REPEAT)]
    return min(r[0] for r in runs), runs[0][1], max(r[2] for r in runs)


def main() -> int:
    if not shutil.which("cmp"):
        print("cmp not found", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="envsnap-bench-diff-") as tmp:
        d = Path(tmp)
        a, same, diff = d / "a.npy", d / "same.npy", d / "diff.npy"
        sink = d / "out.txt"
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", MAKE, str(SIZE), str(d)], check=True)
        print(f"created 3 x {SIZE >> 30} GiB float32 files in {time.perf_counter() - t:.1f} s ({d})")
        ok = True
        for label, b, target, want_rc in (("identical", same, 1.5, 0), ("differing", diff, 3.0, 1)):
            subprocess.run(["cmp", str(a), str(b)], stdout=subprocess.DEVNULL)  # warm the page cache
            cmp_cmd = ["cmp", str(a), str(b)] if label == "identical" else ["cmp", "-l", str(a), str(b)]
            cmp_s, _, _ = best(cmp_cmd, sink)
            env_s, env_rc, rss = best([*ENVSNAP, "diff", str(a), str(b)], sink)
            ratio = env_s / cmp_s
            good = ratio <= target and rss <= 300 << 20 and env_rc == want_rc
            ok &= good
            print(
                f"{label:9s}: {' '.join(cmp_cmd[:-2]):6s} {cmp_s:6.3f} s  envsnap {env_s:6.3f} s  "
                f"ratio {ratio:4.2f}x (target <= {target}x)  "
                f"peak RSS {rss / 2**20:6.1f} MiB (target <= 300)  exit {env_rc}  {'OK' if good else 'MISS'}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
