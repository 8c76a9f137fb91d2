"""Environment diff on Manifest objects built from the models, and every ranking rule."""
from __future__ import annotations

import pytest

from envsnap.diff import diff_manifests
from envsnap.diff.envdiff import walk
from envsnap.diff.results import Severity
from envsnap.diff.rules import RULES, Change, categorize, rank
from envsnap.model import (CPU, Blas, BlasLibrary, Cuda, EnvsnapInfo, FrameworkCuda, GPU, Host, Manifest, Numerics,
                           Nvidia, Package, Packages, ProbeResult, Probes, PythonInfo)
from envsnap.redact import marker


def manifest(**over) -> Manifest:
    base = dict(
        envsnap=EnvsnapInfo(version="0.1.0", created_at="2026-01-01T00:00:00Z", durations_ms={"cpu": 1.0}),
        host=Host(arch="x86_64", hostname="alpha", kernel="6.1"),
        python=PythonInfo(version="3.11.7", executable="/usr/bin/python3"),
        packages=Packages(python=[
            Package(name="numpy", version="1.26.4", wheel_tags=["cp311-cp311-manylinux_2_17_x86_64"]),
            Package(name="torch", version="2.3.0+cpu", wheel_tags=["cp311-cp311-linux_x86_64"]),
            Package(name="requests", version="2.31.0", wheel_tags=["py3-none-any"]),
            Package(name="pytest", version="8.0.0", wheel_tags=["py3-none-any"]),
        ]),
        cpu=CPU(model="Xeon", isa=["avx2", "fma", "avx512f"], cores_logical=8),
        blas=Blas(libraries=[BlasLibrary(internal_api="openblas", prefix="libscipy_openblas", version="0.3.27", num_threads=8)]),
        numerics=Numerics(env={"OMP_NUM_THREADS": "8"}, flags={"torch.backends.cuda.matmul.allow_tf32": False}),
        env={"HOME": "/root", "OMP_NUM_THREADS": "8", "HF_TOKEN": marker("hf_secret_value_one")},
        probes=Probes(results=[
            ProbeResult(id="cpu.blas.fma_dot", version=1, framework="numpy", device="cpu", status="ok", value="fma",
                        fingerprint="aaaa1111", stable=True, ms=1.0),
            ProbeResult(id="cpu.blas.sgemm", version=1, framework="numpy", device="cpu", status="ok", value="ok",
                        fingerprint="bbbb2222", stable=True, ms=2.0),
        ]),
    )
    base.update(over)
    return Manifest(**base)


def update(m: Manifest, **fields) -> Manifest:
    return m.model_copy(update=fields)


def test_identical_manifests_have_no_differences_and_noise_is_ignored():
    a = manifest()
    b = update(manifest(), envsnap=EnvsnapInfo(version="0.1.0", created_at="2027-02-02T00:00:00Z",
                                               durations_ms={"cpu": 9.0}),
               host=Host(arch="x86_64", hostname="beta", kernel="6.1"),
               python=PythonInfo(version="3.11.7", executable="/opt/venv/bin/python"))
    d = diff_manifests(a, b)
    assert d.differences == [] and d.verdict == "SAME" and d.exit_code == 0
    assert "host.hostname" in d.noise and "envsnap.created_at" in d.noise and "python.executable" in d.noise
    assert diff_manifests(a, a).differences == []


def test_ranked_differences_with_probe_evidence():
    a = manifest()
    pk = list(a.packages.python)
    pk[0] = Package(name="numpy", version="2.0.1", wheel_tags=pk[0].wheel_tags)
    pk[2] = Package(name="requests", version="2.31.1", wheel_tags=["py3-none-any"])
    probes = Probes(results=[
        ProbeResult(id="cpu.blas.fma_dot", version=1, framework="numpy", device="cpu", status="ok", value="no-fma",
                    fingerprint="cccc3333", stable=True, ms=3.0),
        ProbeResult(id="cpu.blas.sgemm", version=1, framework="numpy", device="cpu", status="ok", value="ok",
                    fingerprint="dddd4444", stable=True, ms=2.0),
    ])
    b = update(a, packages=Packages(python=pk), probes=probes,
               cpu=CPU(model="Xeon", isa=["avx2", "fma"], cores_logical=8),
               env={**a.env, "OMP_NUM_THREADS": "4"})
    d = diff_manifests(a, b)
    by = {dd.subject: dd for dd in d.differences}
    assert by["numpy"].severity == Severity.CRITICAL and by["numpy"].rule == "pkg.numpy-major"
    assert by["numpy"].a == "1.26.4" and by["numpy"].b == "2.0.1"
    assert by["requests"].severity == Severity.LOW and by["requests"].rule == "pkg.patch"
    # The ISA loss alone ranks high; the changed BLAS probes measure it, so it is confirmed: critical.
    assert by["cpu.isa avx512f"].change == "removed" and by["cpu.isa avx512f"].rule == "cpu.isa"
    assert by["cpu.isa avx512f"].severity == Severity.CRITICAL
    assert by["cpu.isa avx512f"].details[0].startswith("confirmed by probe cpu.blas.fma_dot")
    assert by["env OMP_NUM_THREADS"].rule == "env.numerics"
    assert by["cpu.blas.fma_dot"].rule == "probe.value"
    assert by["cpu.blas.sgemm"].rule == "probe.fingerprint"
    assert "cpu.blas.fma_dot: fma -> no-fma" in d.evidence
    assert any(e.startswith("cpu.blas.sgemm: fingerprint aaaa") is False and "bbbb2222 -> dddd4444" in e for e in d.evidence)
    ranks = [x.severity.rank for x in d.differences]
    assert ranks == sorted(ranks) and d.verdict == "DIFFERENT" and d.exit_code == 1
    assert not any("ms" in x.path for x in d.differences)  # probe timings are noise


def test_redacted_values_compare_without_being_revealed():
    a = manifest()
    same = update(a, env={**a.env})
    assert diff_manifests(a, same).differences == []
    b = update(a, env={**a.env, "HF_TOKEN": marker("hf_secret_value_two")})
    d = diff_manifests(a, b)
    (tok,) = [x for x in d.differences if x.subject == "env HF_TOKEN"]
    assert tok.a == tok.b == "<redacted>" and "redacted values differ" in tok.details[0]
    text = d.model_dump_json()
    assert marker("hf_secret_value_one") not in text and "hf_secret" not in text


def test_new_fields_are_walked_generically():
    raw = walk({"x": {"new": [1, 2], "k": [{"id": "p", "v": 1}]}}, {"x": {"new": [2, 3], "k": [{"id": "p", "v": 2}]}})
    assert {(r.path, r.change) for r in raw} == {("x.new[1]", "removed"), ("x.new[3]", "added"), ("x.k[p].v", "changed")}
    assert categorize("brand_new_section.field") == ("other", "brand_new_section.field")


def test_gpu_cuda_and_blas_vendor():
    a = manifest(nvidia=Nvidia(driver_version="550.54", gpus=[GPU(index=0, name="A100", compute_capability="8.0")]),
                 cuda=Cuda(frameworks=[FrameworkCuda(framework="torch", cuda="12.1", cudnn="8902")]))
    b = update(a, nvidia=Nvidia(driver_version="535.1", gpus=[GPU(index=0, name="H100", compute_capability="9.0")]),
               cuda=Cuda(frameworks=[FrameworkCuda(framework="torch", cuda="12.4", cudnn="90100")]),
               blas=Blas(libraries=[BlasLibrary(internal_api="mkl", prefix="libmkl_rt", version="2024.0", num_threads=8)]))
    d = diff_manifests(a, b)
    rules = {x.rule for x in d.differences}
    assert {"driver", "gpu.model", "cuda.version", "cudnn.version", "blas.vendor"} <= rules
    assert d.worst == Severity.CRITICAL


# --- every rule, with its reason ------------------------------------------------------------

RULE_CASES = {
    "pkg.dev-tool": Change("package.version", "pytest", "7.0", "8.0"),
    "pkg.cuda-library": Change("package.version", "nvidia-cublas-cu12", "12.1.3.1", "12.4.2.65"),
    "pkg.accelerator-build": Change("package.version", "torch", "2.3.0+cpu", "2.3.0+cu121"),
    "pkg.torch-tf32-default": Change("package.version", "torch", "1.11.0", "1.12.1"),
    "pkg.tensorflow-tf32-default": Change("package.version", "tensorflow", "2.3.0", "2.4.0"),
    "pkg.numpy-major": Change("package.version", "numpy", "1.26.4", "2.0.0"),
    "pkg.native-artifact": Change("package.artifact", "scipy", "artifact A", "artifact B", native=True),
    "pkg.framework": Change("package.version", "jax", "0.4.20", "0.4.30"),
    "pkg.framework-added-removed": Change("package.added", "triton", None, "3.0.0"),
    "pkg.numpy-scipy-minor": Change("package.version", "scipy", "1.11.4", "1.13.0"),
    "pkg.blas": Change("package.version", "mkl", "2023.1", "2024.0"),
    "pkg.accelerator-added-removed": Change("package.added", "bottleneck", None, "1.3.8"),
    "pkg.accelerator-version": Change("package.version", "numexpr", "2.8.0", "2.9.0"),
    "pkg.ml-library": Change("package.version", "scikit-learn", "1.3.0", "1.4.0"),
    "pkg.native-version": Change("package.version", "some-ext", "1.0", "1.1", native=True),
    "pkg.source-kind": Change("package.artifact", "attrs", "artifact A", "artifact B"),
    "pkg.patch": Change("package.version", "requests", "2.31.0", "2.31.1"),
    "pkg.pure-python": Change("package.version", "requests", "2.31.0", "2.32.0"),
    "pkg.metadata": Change("package.meta", "requests", None, None),
    "arch": Change("arch", "host.arch", "x86_64", "aarch64"),
    "python.implementation": Change("python", "implementation", "CPython", "PyPy"),
    "python.minor": Change("python", "version", "3.10.12", "3.11.7"),
    "python.patch": Change("python", "version", "3.11.7", "3.11.9"),
    "python.build": Change("python.build", "soabi", "a", "b"),
    "python.meta": Change("python.meta", "pip_version", "23", "24"),
    "os.libc": Change("os.libc", "os.libc", "glibc 2.36", "glibc 2.39"),
    "os.release": Change("os", "version_id", "12", "13"),
    "os.blas-package": Change("os.package", "libopenblas0-pthread:amd64", "0.3.21", "0.3.26"),
    "os.package": Change("os.package", "libc6:amd64", "2.36", "2.39"),
    "os.meta": Change("os.meta", "package_manager", "dpkg", "rpm"),
    "cpu.isa": Change("cpu.isa", "avx512f", "avx512f", None),
    "cpu.model": Change("cpu.model", "model", "Xeon", "EPYC"),
    "cpu.cores": Change("cpu.cores", "cores_logical", "8", "2"),
    "cpu.flags": Change("cpu.flags", "ht", "ht", None),
    "cpu.meta": Change("cpu.meta", "caches.L2", "1MiB", "2MiB"),
    "host.other": Change("host", "kernel", "6.1", "6.8"),
    "cuda.version": Change("cuda", "torch", "12.1", "12.4"),
    "cudnn.version": Change("cudnn", "torch", "8902", "90100"),
    "nccl.version": Change("nccl", "torch", "2.18", "2.20"),
    "cuda.source": Change("cuda.source", "source", "pip-wheels", "system"),
    "cuda.meta": Change("cuda.meta", "loaded_libraries[x]", "x", None),
    "driver": Change("driver", "driver_version", "535", "550"),
    "gpu.model": Change("gpu", "name", "A100", "H100"),
    "gpu.visible": Change("gpu.visible", "nvidia.cuda_visible_devices", "0", "1"),
    "gpu.mode": Change("gpu.mode", "mig_mode", "disabled", "enabled"),
    "gpu.meta": Change("gpu.meta", "nvml_version", "12", "13"),
    "blas.vendor": Change("blas.library", "openblas:libscipy_openblas", "openblas 0.3.27", None),
    "blas.runtime": Change("blas.library", "openmp:libgomp", None, "openmp"),
    "blas.version": Change("blas.version", "openblas:x", "0.3.21", "0.3.27"),
    "blas.threads": Change("blas.threads", "openblas:x", "8", "2"),
    "blas.kernel": Change("blas.kernel", "openblas:x", "Haswell", "SkylakeX"),
    "blas.meta": Change("blas.meta", "numpy_config", "a", "b"),
    "numerics.env": Change("numerics.env", "CUBLAS_WORKSPACE_CONFIG", None, ":4096:8"),
    "numerics.flag": Change("numerics.flag", "torch.backends.cuda.matmul.allow_tf32", "false", "true"),
    "numerics.meta": Change("numerics.meta", "status", "ok", "skipped"),
    "env.numerics": Change("env", "MKL_CBWR", None, "AVX2"),
    "env.loader": Change("env", "LD_LIBRARY_PATH", "/a", "/b"),
    "env.path": Change("env", "PATH", "/venv/bin:/usr/bin", "/usr/bin"),
    "cuda.toolkit": Change("cuda.toolkit", "system_toolkit", "/usr/local/cuda-13.0 (version unknown)", None),
    "env.other": Change("env", "MY_SETTING", "1", "2"),
    "probe.value": Change("probe.value", "gpu.torch.matmul_precision", "FP32", "TF32"),
    "probe.fingerprint": Change("probe.fingerprint", "cpu.blas.sgemm", "aaaa", "bbbb"),
    "probe.stability": Change("probe.stable", "gpu.torch.index_add", "true", "false"),
    "probe.status": Change("probe.status", "gpu.torch.index_add", "ok", "skipped"),
    "probe.meta": Change("probe.meta", "cpu.ftz", None, None),
    "code.changed": Change("code", "commit", "abc", "def"),
    "code.meta": Change("code.meta", "branch", "main", "dev"),
    "section.status": Change("section", "nvidia", "ok", "skipped"),
    "envsnap.version": Change("envsnap", "envsnap.version", "0.1.0", "0.2.0"),
    "other": Change("other", "brand_new.field", "1", "2"),
}


def test_every_rule_has_a_case():
    assert set(RULE_CASES) == {r.id for r in RULES}
    assert len({r.id for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule_id", list(RULE_CASES))
def test_rule_fires_with_its_reason(rule_id):
    rule = rank(RULE_CASES[rule_id])
    assert rule.id == rule_id
    assert len(rule.reason) > 15  # a cited reason, not a label


@pytest.mark.parametrize("path,category,subject", [
    ("env.OMP_NUM_THREADS", "env", "OMP_NUM_THREADS"),
    ("env.HOSTNAME", "noise", "HOSTNAME"),
    ("numerics.flags.torch.backends.cudnn.benchmark", "numerics.flag", "torch.backends.cudnn.benchmark"),
    ("cpu.isa[avx512f]", "cpu.isa", "avx512f"),
    ("nvidia.gpus[0].name", "gpu", "name"),
    ("cuda.frameworks[torch].cudnn", "cudnn", "torch"),
    ("blas.libraries[openblas:libopenblas].num_threads", "blas.threads", "openblas:libopenblas"),
    ("envsnap.created_at", "noise", "envsnap.created_at"),
])
def test_categories(path, category, subject):
    assert categorize(path) == (category, subject)


def test_setting_confirmed_by_probe_is_the_top_cause():
    """A replay with OPENBLAS_CORETYPE changed: the variable is named first, the BLAS kernel that
    threadpoolctl reports follows it, and the probe fingerprints (the effect) come last."""
    a = update(manifest(), numerics=Numerics(env={"OPENBLAS_CORETYPE": "Haswell"}),
               blas=Blas(libraries=[BlasLibrary(internal_api="openblas", user_api="blas", version="0.3.27",
                                                 architecture="Haswell", filepath="/x/libscipy_openblas.so")]),
               probes=Probes(results=[ProbeResult(id="cpu.blas.gemm", version=1, framework="numpy", device="cpu",
                                                  status="ok", value="Haswell", fingerprint="aaaa", stable=True)]))
    b = update(a, numerics=Numerics(env={"OPENBLAS_CORETYPE": "SkylakeX"}),
               blas=Blas(libraries=[BlasLibrary(internal_api="openblas", user_api="blas", version="0.3.27",
                                                 architecture="SkylakeX", filepath="/x/libscipy_openblas.so")]),
               probes=Probes(results=[ProbeResult(id="cpu.blas.gemm", version=1, framework="numpy", device="cpu",
                                                  status="ok", value="SkylakeX", fingerprint="bbbb", stable=True)]))
    d = diff_manifests(a, b)
    top = d.differences[0]
    assert "OPENBLAS_CORETYPE" in top.subject and top.severity == Severity.CRITICAL and top.b == "SkylakeX"
    assert top.details[0] == "confirmed by probe cpu.blas.gemm"
    order = [x.category for x in d.differences]
    assert order.index("blas.kernel") > order.index("numerics.env")
    assert order[-1].startswith("probe")


def test_unconfirmed_setting_keeps_its_rank():
    a = manifest()
    b = update(a, numerics=Numerics(env={**a.numerics.env, "OPENBLAS_CORETYPE": "SkylakeX"}, flags=a.numerics.flags))
    (d,) = [x for x in diff_manifests(a, b).differences if "OPENBLAS_CORETYPE" in x.subject]
    assert d.severity == Severity.HIGH and not d.details


def test_docs_show_the_rule_table():
    from pathlib import Path

    from envsnap.diff.rules import rules_markdown

    docs = (Path(__file__).resolve().parents[2] / "docs" / "diff.md").read_text()
    assert rules_markdown() in docs, "regenerate the table in docs/diff.md from envsnap.diff.rules.rules_markdown()"
