"""What-if experiments that depend on the recorded machine: choose a setting that really is
different from what the run had, and that the recorded CPU can execute.

Used by the demo and the tests (``--env OPENBLAS_CORETYPE=$(...)``); never hard-code a kernel:
OpenBLAS picks SkylakeX on an AVX-512 CPU and Haswell or Zen elsewhere, and forcing a kernel
the CPU lacks the instructions for kills the process with SIGILL.
"""
from __future__ import annotations

import sys
from typing import Optional, Sequence

from ..model import Manifest

# OpenBLAS core names (OPENBLAS_CORETYPE) with the instruction sets their kernels need, in order
# of preference for a what-if.
_KERNELS = (("Sandybridge", ("avx",)), ("Haswell", ("avx2", "fma")), ("Prescott", ("sse3",)))


def recorded_blas_kernel(manifest: Manifest) -> Optional[str]:
    for lib in manifest.blas.libraries:
        if lib.internal_api == "openblas" and lib.architecture:
            return lib.architecture
    return None


def other_blas_kernel(manifest: Manifest) -> Optional[str]:
    """An OpenBLAS kernel other than the recorded one that the recorded CPU can run (None when
    the run did not use OpenBLAS)."""
    current = recorded_blas_kernel(manifest)
    if current is None:
        return None
    flags = set(manifest.cpu.flags) | set(manifest.cpu.isa)
    # /proc/cpuinfo says "pni" for SSE3.
    flags |= {"sse3"} if "pni" in flags else set()
    for name, needs in _KERNELS:
        if name.lower() != current.lower() and (not flags or all(f in flags for f in needs)):
            return name
    return None


def main(argv: Sequence[str]) -> int:
    """``python -m envsnap.replay.whatif SNAPSHOT``: print the other kernel (demo.sh uses it)."""
    from ..snapshot import read_snapshot

    kernel = other_blas_kernel(read_snapshot(argv[0]).manifest) if argv else None
    if kernel is None:
        sys.stderr.write("no OpenBLAS kernel recorded in the snapshot\n")
        return 2
    sys.stdout.write(kernel + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
