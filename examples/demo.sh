#!/usr/bin/env bash
# envsnap's main job on the bundled numpy example, end to end on a fresh machine:
#   1. make the original environment: a venv of Debian's python3 with numpy
#   2. envsnap run    - train on the host, record a snapshot
#   3. envsnap replay - rebuild the environment in Docker, train again, compare (expect BITWISE_IDENTICAL)
#   4. envsnap replay --env OPENBLAS_CORETYPE=<another kernel> - a what-if: another BLAS kernel than the one
#      this CPU's OpenBLAS picked (read from the snapshot), and envsnap names it
# Needs `envsnap` on PATH, a Docker engine and the local base image (integration/provision.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${DEMO_OUT:-$here/../demo-out}"
ca="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [ ! -x "$out/venv/bin/python" ]; then
  /usr/bin/python3 -m venv "$out/venv"
  "$out/venv/bin/pip" install -q numpy
fi

cd "$here/numpy_train"
echo "== envsnap run (on the host)"
envsnap run -o "$out/snap" --force --data data/ --outputs 'out/**' -- "$out/venv/bin/python" train.py --lr 0.02

echo "== envsnap replay (in Docker)"
envsnap replay "$out/snap" -o "$out/replay" --force --ca-bundle "$ca"

# The kernel OpenBLAS chose here is in the snapshot (blas.libraries[].architecture); pick another
# one this CPU can run (SkylakeX is the default on AVX-512 CPUs, and SIGILLs on the others).
envsnap_py="$(dirname "$(command -v envsnap)")/python"
kernel="$("$envsnap_py" -m envsnap.replay.whatif "$out/snap")"
echo "== envsnap replay with another BLAS kernel, $kernel (expect: diverged, OPENBLAS_CORETYPE named)"
set +e
envsnap replay "$out/snap" -o "$out/replay-kernel" --force --ca-bundle "$ca" -q --env "OPENBLAS_CORETYPE=$kernel"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "expected exit 1 (diverged), got $rc" >&2; exit 1; }
echo "== reports: $out/replay/report.md and $out/replay-kernel/report.md"
