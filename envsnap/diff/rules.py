"""Ranking rules for environment differences, as data.

Two tables:

``CATEGORIES`` maps a manifest field (its display path, e.g. ``env.OMP_NUM_THREADS`` or
``cpu.isa[avx512f]``) to a category and a subject: first matching regex wins; the named group
``s`` is the subject. Category ``noise`` marks fields that differ on every run (timestamps,
durations, hostnames, paths of the interpreter) and are never ranked.

``RULES`` ranks a difference: the first rule whose category glob, subject glob and optional
predicate all match decides (the table runs from specific to general, so a development tool
is ranked negligible before the generic package rules see it). Each rule cites why the change
can move numbers. docs/diff.md renders this table; tests/diff/
test_rules.py exercises every rule id.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Callable, Dict, Optional, Tuple

from packaging.version import InvalidVersion, Version

from ..redact import NUMERICS_ENV_VARS
from .results import Severity

C, H, M, L, N = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.NEGLIGIBLE

# (regex over the display path, category). Package and probe entities are grouped before
# this table is consulted (their categories are decided in envdiff.py from the changed fields).
CATEGORIES: Tuple[Tuple[str, str], ...] = (
    (r"^envsnap\.version$", "envsnap"),
    (r"^envsnap\..*$", "noise"),
    (r"^schema_version$", "envsnap"),
    (r"^host\.hostname$", "noise"),
    (r"^host\.arch$", "arch"),
    (r"^host\.(?P<s>.+)$", "host"),
    (r"^os\.packages\[(?P<s>[^\]]+)\].*$", "os.package"),
    (r"^os\.libc$", "os.libc"),
    (r"^os\.(?P<s>id|version_id|codename|pretty_name)$", "os"),
    (r"^os\.(?P<s>.+)$", "os.meta"),
    (r"^python\.(?P<s>version|implementation)$", "python"),
    (r"^python\.(?P<s>build|soabi|platform|tags.*)$", "python.build"),
    (r"^python\.(executable|prefix|base_prefix)$", "noise"),
    (r"^python\.(?P<s>.+)$", "python.meta"),
    (r"^packages\.conda_prefix$", "noise"),
    (r"^cpu\.isa\[(?P<s>[^\]]+)\]$", "cpu.isa"),
    (r"^cpu\.flags\[(?P<s>[^\]]+)\]$", "cpu.flags"),
    (r"^cpu\.(?P<s>model|vendor|arch|family|model_id|stepping)$", "cpu.model"),
    (r"^cpu\.(?P<s>cores_logical|cores_physical|cores_available)$", "cpu.cores"),
    (r"^cpu\.(?P<s>.+)$", "cpu.meta"),
    (r"^nvidia\.(?P<s>driver_version|cuda_driver_version)$", "driver"),
    (r"^nvidia\.cuda_visible_devices$", "gpu.visible"),
    (r"^nvidia\.gpus\[(?P<s>[^\]]+)\]$", "gpu"),
    (r"^nvidia\.gpus\[[^\]]+\]\.(?P<s>name|compute_capability|architecture)$", "gpu"),
    (r"^nvidia\.gpus\[[^\]]+\]\.(?P<s>mig_mode)$", "gpu.mode"),
    (r"^nvidia\.gpus\[[^\]]+\]\.(?P<s>uuid|pci_bus_id|errors.*)$", "noise"),
    (r"^nvidia\.(?P<s>.+)$", "gpu.meta"),
    (r"^cuda\.frameworks\[(?P<s>[^\]]+)\]\.cuda$", "cuda"),
    (r"^cuda\.frameworks\[(?P<s>[^\]]+)\]\.cudnn$", "cudnn"),
    (r"^cuda\.frameworks\[(?P<s>[^\]]+)\]\.nccl$", "nccl"),
    (r"^cuda\.nvidia_wheels\.(?P<s>.+)$", "cuda.wheel"),
    (r"^cuda\.(?P<s>source)$", "cuda.source"),
    (r"^cuda\.(?P<s>system_toolkit)$", "cuda.toolkit"),
    (r"^cuda\.(?P<s>.+)$", "cuda.meta"),
    (r"^blas\.libraries\[(?P<s>[^\]]+)\]$", "blas.library"),
    (r"^blas\.libraries\[(?P<s>[^\]]+)\]\.(internal_api|user_api)$", "blas.library"),
    (r"^blas\.libraries\[(?P<s>[^\]]+)\]\.version$", "blas.version"),
    (r"^blas\.libraries\[(?P<s>[^\]]+)\]\.(num_threads|threading_layer)$", "blas.threads"),
    (r"^blas\.libraries\[(?P<s>[^\]]+)\]\.architecture$", "blas.kernel"),
    (r"^blas\.(?P<s>.+)$", "blas.meta"),
    (r"^numerics\.env\.(?P<s>.+)$", "numerics.env"),
    (r"^numerics\.flags\.(?P<s>.+)$", "numerics.flag"),
    (r"^numerics\.(?P<s>.+)$", "numerics.meta"),
    (r"^env\.(?P<s>HOSTNAME|PWD|OLDPWD|SHLVL|_|TERM|TERM_.*|COLORTERM|LS_COLORS|DISPLAY|SSH_.*|XDG_.*|"
     r"TMUX.*|STY|WINDOW|MAIL|LOGNAME|USER|HOME|SHELL|PS1|PS2|PROMPT_COMMAND|HISTFILE|HISTSIZE|LINES|COLUMNS|"
     r"INVOCATION_ID|JOURNAL_STREAM|DBUS_.*|GPG_TTY|LESS.*|PAGER|EDITOR|VISUAL|ENVSNAP_.*)$", "noise"),
    (r"^env\.(?P<s>.+)$", "env"),
    (r"^git\.(?P<s>commit|dirty|patch_sha256|patch_bytes|untracked.*)$", "code"),
    (r"^git\.root$", "noise"),
    (r"^git\.(?P<s>.+)$", "code.meta"),
    (r"^(?P<s>[a-z_]+)\.(status|reason)$", "section"),
)
_CATEGORY_RES = tuple((re.compile(p), c) for p, c in CATEGORIES)


def categorize(path: str) -> Tuple[str, str]:
    for rx, category in _CATEGORY_RES:
        m = rx.match(path)
        if m:
            return category, (m.groupdict().get("s") or path)
    return "other", path


@dataclass(frozen=True)
class Change:
    """What a predicate sees: one classified difference."""

    category: str
    subject: str
    a: Optional[str]
    b: Optional[str]
    native: bool = False  # a package with compiled code (platform wheel tags / conda build)


def _version(v: Optional[str]) -> Optional[Version]:
    try:
        return Version(v) if v else None
    except InvalidVersion:
        return None


def _release(c: Change, n: int) -> bool:
    va, vb = _version(c.a), _version(c.b)
    if va is None or vb is None:
        return c.a != c.b
    return va.release[:n] != vb.release[:n]


def _crosses(boundary: str) -> Callable[[Change], bool]:
    line = Version(boundary)

    def check(c: Change) -> bool:
        va, vb = _version(c.a), _version(c.b)
        return va is not None and vb is not None and ((va < line) != (vb < line))

    return check


def _local_changed(c: Change) -> bool:
    va, vb = _version(c.a), _version(c.b)
    return va is not None and vb is not None and va.local != vb.local


PREDICATES: Dict[str, Callable[[Change], bool]] = {
    "major_changed": lambda c: _release(c, 1),
    "minor_changed": lambda c: _release(c, 2),
    "patch_only": lambda c: not _release(c, 2),
    "crosses_1.12": _crosses("1.12"),
    "crosses_2.4": _crosses("2.4"),
    "local_label_changed": _local_changed,
    "native": lambda c: c.native,
    "numerics_var": lambda c: c.subject in NUMERICS_ENV_VARS,
    "blas_vendor": lambda c: any(v in (c.a or "") + (c.b or "") for v in ("openblas", "mkl", "blis", "accelerate", "flexiblas", "armpl")),
    "value_changed": lambda c: c.a is not None and c.b is not None,
}


@dataclass(frozen=True)
class Rule:
    id: str
    category: str  # "|"-separated globs over the category
    subject: str  # "|"-separated globs over the subject (case-insensitive)
    severity: Severity
    reason: str
    when: Optional[str] = None  # a PREDICATES key

    def matches(self, c: Change) -> bool:
        if not any(fnmatchcase(c.category, g) for g in self.category.split("|")):
            return False
        subject = c.subject.lower()
        if not any(fnmatchcase(subject, g.strip().lower()) for g in self.subject.split("|")):
            return False
        return self.when is None or PREDICATES[self.when](c)


FRAMEWORKS = "torch|jax|jaxlib|tensorflow|tensorflow-*|tf-nightly|triton|pytorch-triton*|numba|llvmlite|onnxruntime*|cupy*|mxnet*|paddlepaddle*|keras"
CUDA_LIBS = "nvidia-cublas*|nvidia-cudnn*|nvidia-cuda-runtime*|nvidia-cuda-nvrtc*|nvidia-cufft*|nvidia-curand*|nvidia-cusolver*|nvidia-cusparse*|cudatoolkit|cuda-version|cudnn|libcublas|libcudnn*|cuda-cudart|cuda-runtime"
BLAS_PKGS = "mkl|mkl-*|intel-openmp|libopenblas*|openblas|scipy-openblas*|numpy-openblas*|blis|libblas|libcblas|liblapack|flexiblas*|libmkl*"
ACCEL_LIBS = "bottleneck|numexpr|flash-attn|flash_attn|xformers|apex|deepspeed|bitsandbytes|liger-kernel|tensorrt*|torch-tensorrt|intel-extension-for-pytorch|onnxruntime*|opt-einsum|opt_einsum|pyfftw|mkl-fft|mkl-random|mkl-umath"
ML_LIBS = "scikit-learn|pandas|transformers|accelerate|diffusers|datasets|tokenizers|timm|torchvision|torchaudio|lightning|pytorch-lightning|xgboost|lightgbm|catboost|statsmodels|sentence-transformers|peft|trl|optax|flax|equinox|einops|safetensors|h5py|pyarrow|polars|opencv-python*|pillow|scikit-image|torchmetrics|huggingface-hub"
DEV_TOOLS = "pip|setuptools|wheel|pytest*|black|ruff|mypy|flake8|isort|pylint|pre-commit|ipython|ipykernel|jupyter*|notebook|nbconvert|nbformat|coverage|tox|nox|twine|build|virtualenv|pipx|uv|envsnap|types-*|sphinx*|mkdocs*|hypothesis|debugpy|tqdm|rich|typer|click|colorama|tensorboard*|wandb|mlflow"

RULES: Tuple[Rule, ...] = (
    # --- packages ---------------------------------------------------------------------------
    Rule("pkg.dev-tool", "package.*", DEV_TOOLS, N,
         "development, packaging or logging tool: does not take part in the computation"),
    Rule("pkg.cuda-library", "package.*", CUDA_LIBS, C,
         "cuBLAS/cuDNN/CUDA runtime change: NVIDIA guarantees bitwise results only for the same toolkit version and GPU architecture"),
    Rule("pkg.accelerator-build", "package.version", "*", C,
         "the local version label changed (e.g. +cpu -> +cu121): a different accelerator build of the same release",
         "local_label_changed"),
    Rule("pkg.torch-tf32-default", "package.version", "torch", C,
         "crosses PyTorch 1.12, which turned TF32 for CUDA matmul off by default (torch.backends.cuda.matmul.allow_tf32)",
         "crosses_1.12"),
    Rule("pkg.tensorflow-tf32-default", "package.version", "tensorflow|tensorflow-*|tf-nightly", C,
         "crosses TensorFlow 2.4, which turned TF32 on by default on Ampere and newer GPUs", "crosses_2.4"),
    Rule("pkg.numpy-major", "package.version", "numpy", C,
         "NumPy 2 changed scalar type promotion (NEP 50): mixed Python-scalar/array arithmetic can change result dtype and precision",
         "major_changed"),
    Rule("pkg.native-artifact", "package.artifact", "*", C,
         "same version, different binary artifact of a package with compiled code: compiler flags, bundled BLAS or CPU dispatch can differ",
         "native"),
    Rule("pkg.framework", "package.version", FRAMEWORKS, H,
         "ML framework version change: PyTorch does not promise identical results across releases; kernels and defaults change"),
    Rule("pkg.framework-added-removed", "package.added|package.removed", FRAMEWORKS, H,
         "an ML framework appeared or disappeared from the environment"),
    Rule("pkg.numpy-scipy-minor", "package.version", "numpy|scipy", H,
         "NumPy/SciPy minor releases change SIMD dispatch, summation and linear-algebra code paths", "minor_changed"),
    Rule("pkg.blas", "package.*", BLAS_PKGS, H,
         "BLAS/LAPACK library change: kernels, blocking and threading decide the summation order of every matmul"),
    Rule("pkg.accelerator-added-removed", "package.added|package.removed", ACCEL_LIBS, H,
         "libraries such as pandas and NumPy-based code dispatch to accelerator libraries (bottleneck, numexpr, flash-attn, xformers) only when they are installed"),
    Rule("pkg.accelerator-version", "package.version", ACCEL_LIBS, M,
         "accelerator library version change: different kernels for the operations dispatched to it"),
    Rule("pkg.ml-library", "package.version|package.added|package.removed", ML_LIBS, M,
         "ML/data library change (scikit-learn, pandas, transformers class): default arguments and algorithms change between releases"),
    Rule("pkg.native-version", "package.version", "*", M,
         "a package with compiled code changed version", "native"),
    Rule("pkg.source-kind", "package.artifact", "*", M,
         "the same version comes from a different artifact or source (pip vs conda build, index vs local build)"),
    Rule("pkg.patch", "package.version", "*", L,
         "patch release of a library without compiled code: bug fixes, rarely numerics", "patch_only"),
    Rule("pkg.pure-python", "package.version|package.added|package.removed", "*", L,
         "pure-Python library change: affects numbers only through the code paths it implements"),
    Rule("pkg.metadata", "package.meta", "*", N,
         "installation metadata only (installer, requested flag, location)"),
    # --- interpreter, OS, hardware ----------------------------------------------------------
    Rule("arch", "arch", "*", C,
         "different CPU architecture (e.g. x86_64 vs aarch64): different kernels, FMA contraction and libm"),
    Rule("python.implementation", "python", "implementation", H, "different Python implementation"),
    Rule("python.minor", "python", "version", M,
         "Python minor version change: selects different binary wheels and changes math/statistics module code",
         "minor_changed"),
    Rule("python.patch", "python", "version", L, "Python patch release"),
    Rule("python.build", "python.build", "*", L, "interpreter build (compiler, ABI tags) differs"),
    Rule("python.meta", "python.meta", "*", N, "interpreter metadata (pip version and configuration)"),
    Rule("os.libc", "os.libc", "*", M,
         "a different C library: libm transcendental functions (exp, log, pow) are not correctly rounded and changed between glibc releases"),
    Rule("os.release", "os", "*", M,
         "different OS release: system libraries (libm, libgomp, libstdc++) that native packages load come from it"),
    Rule("os.blas-package", "os.package", BLAS_PKGS + "|libopenblas*|libatlas*|libmkl*", H,
         "system BLAS package loaded by the process changed"),
    Rule("os.package", "os.package", "*", L, "system package owning a loaded shared library changed"),
    Rule("os.meta", "os.*", "*", N, "OS metadata (pretty name, package manager, scope of the package list)"),
    Rule("cpu.isa", "cpu.isa", "*", H,
         "instruction-set extension gained or lost: BLAS, oneDNN and NumPy dispatch on it (AVX-512 vs AVX2 kernels sum in a different order; FMA changes rounding)"),
    Rule("cpu.model", "cpu.model", "*", M,
         "different CPU model: MKL and OpenBLAS pick kernels per microarchitecture (MKL CNR documents this)"),
    Rule("cpu.cores", "cpu.cores", "*", M,
         "core count decides default thread counts, and BLAS/OpenMP split reductions by thread"),
    Rule("cpu.flags", "cpu.flags", "*", L, "CPU flag not in the numerics-relevant ISA list"),
    Rule("cpu.meta", "cpu.meta", "*", L, "cache sizes and memory affect BLAS blocking only marginally"),
    Rule("host.other", "host", "*", L, "kernel, container or virtualization differs"),
    # --- GPU and CUDA -----------------------------------------------------------------------
    Rule("cuda.version", "cuda|cuda.wheel", "*", C,
         "CUDA runtime change: cuBLAS/cuDNN kernels are only bitwise reproducible on the same toolkit version"),
    Rule("cudnn.version", "cudnn", "*", C, "cuDNN version change: convolution algorithms and their results change"),
    Rule("nccl.version", "nccl", "*", H, "NCCL version change: all-reduce algorithms and summation order change"),
    Rule("cuda.source", "cuda.source", "*", M, "CUDA comes from a different place (pip wheels, system toolkit, conda)"),
    Rule("cuda.toolkit", "cuda.toolkit", "*", N,
         "a CUDA toolkit directory exists on one side; it matters only when a framework loads it, and then cuda.source differs too"),
    Rule("cuda.meta", "cuda.meta", "*", L, "loaded CUDA libraries or framework build details differ"),
    Rule("driver", "driver", "*", H, "NVIDIA driver change: the driver JIT-compiles PTX and ships parts of the CUDA stack"),
    Rule("gpu.model", "gpu", "*", H,
         "GPU model or architecture changed: cuBLAS promises bitwise results only on the same architecture and SM count"),
    Rule("gpu.visible", "gpu.visible", "*", H, "a different set or order of visible GPUs"),
    Rule("gpu.mode", "gpu.mode", "*", M, "MIG partitioning changes SM count and therefore kernel selection"),
    Rule("gpu.meta", "gpu.meta", "*", N, "clocks, power limit, persistence, ECC and NVML version do not change results"),
    # --- BLAS and numerics settings ---------------------------------------------------------
    Rule("blas.vendor", "blas.library", "*", C,
         "BLAS vendor swap (e.g. OpenBLAS vs MKL): different kernels and summation order in every matmul", "blas_vendor"),
    Rule("blas.runtime", "blas.library", "*", H, "OpenMP/threading runtime loaded or unloaded"),
    Rule("blas.version", "blas.version", "*", H, "BLAS version change: kernels and blocking change"),
    Rule("blas.threads", "blas.threads", "*", H,
         "BLAS thread count or threading layer changed: reductions are split per thread (MKL CNR requires a fixed thread count)"),
    Rule("blas.kernel", "blas.kernel", "*", H,
         "BLAS picked a different kernel architecture (OpenBLAS coretype): the sgemm fingerprint changes with it"),
    Rule("blas.meta", "blas.meta", "*", L, "BLAS build configuration or library path differs"),
    Rule("numerics.env", "numerics.env", "*", H,
         "numerics-relevant variable (threads, TF32, determinism, CPU dispatch) changed"),
    Rule("numerics.flag", "numerics.flag", "*", H,
         "framework numerics flag changed (TF32, matmul precision, deterministic algorithms, cuDNN benchmark)"),
    Rule("numerics.meta", "numerics.meta", "*", L, "numerics section metadata differs"),
    Rule("env.numerics", "env", "*", H, "numerics-relevant environment variable", "numerics_var"),
    Rule("env.loader", "env", "LD_LIBRARY_PATH|PYTHONPATH|PYTHONHOME|LD_*|DYLD_*", M,
         "changes which libraries and modules are found and loaded"),
    Rule("env.path", "env", "PATH|VIRTUAL_ENV|CONDA_PREFIX|CONDA_DEFAULT_ENV", L,
         "selects which interpreter runs; the interpreter and its packages are compared in their own sections"),
    Rule("env.other", "env", "*", L, "environment variable not known to affect numerics"),
    # --- probes: measured behaviour ---------------------------------------------------------
    Rule("probe.value", "probe.value", "*", C,
         "a numerics probe measured different behaviour (the decoded mode changed)"),
    Rule("probe.fingerprint", "probe.fingerprint", "*", C,
         "a numerics probe produced different output bits on the same inputs"),
    Rule("probe.stability", "probe.stable", "*", H, "run-to-run nondeterminism appeared or disappeared for this probe"),
    Rule("probe.status", "probe.status", "*", L, "the probe ran on one side only: no evidence either way"),
    Rule("probe.meta", "probe.meta", "*", N, "probe details (timings, reasons) differ"),
    # --- code and bookkeeping ---------------------------------------------------------------
    Rule("code.changed", "code", "*", H, "the code itself differs (commit, uncommitted patch or untracked files)"),
    Rule("code.meta", "code.meta", "*", N, "branch name or remote URL differ; the commit decides the code"),
    Rule("section.status", "section", "*", M,
         "a manifest section was collected on one side only: differences in it cannot be ruled out"),
    Rule("envsnap.version", "envsnap", "*", N, "version of envsnap itself"),
    Rule("other", "*", "*", L, "field not covered by a specific rule"),
)


# Which configuration differences each probe measures, as (probe id glob, category globs,
# subject globs). When a probe's output changed, the differences it measures are confirmed by
# evidence: they are promoted to critical and listed before the probe, which is their effect.
_THREADS = "OMP_*|MKL_*|OPENBLAS_NUM_THREADS|GOTO_NUM_THREADS|BLIS_NUM_THREADS|KMP_*"
PROBE_KNOBS: Tuple[Tuple[str, str, str], ...] = (
    ("cpu.blas.*", "numerics.env|env", "OPENBLAS_*|MKL_*|GOTO_*|BLIS_*|LD_PRELOAD|" + _THREADS),
    ("cpu.blas.*", "blas.*", "*"),
    ("cpu.blas.*", "package.*", BLAS_PKGS + "|numpy|scipy"),
    ("cpu.blas.*", "cpu.isa|cpu.model|cpu.cores|arch", "*"),
    ("cpu.numpy.simd_ufuncs", "numerics.env|env", "NPY_*"),
    ("cpu.numpy.simd_ufuncs", "package.*", "numpy"),
    ("cpu.numpy.simd_ufuncs", "cpu.isa|cpu.model|arch|os.libc", "*"),
    ("cpu.*.ftz_daz|cpu.jax.ftz", "numerics.env|env", "LD_PRELOAD|XLA_FLAGS"),
    ("cpu.*.ftz_daz", "numerics.flag", "*denormal*|*flush*"),
    ("cpu.torch.*", "package.*", "torch|mkl*|intel-openmp"),
    ("cpu.torch.aten_kernels", "numerics.env|env", "ATEN_CPU_CAPABILITY|ONEDNN_*|DNNL_*"),
    ("cpu.torch.aten_kernels|cpu.torch.mkl_gemm|cpu.torch.batch_invariance", "cpu.isa|cpu.model|arch", "*"),
    ("cpu.torch.aten_kernels", "numerics.flag", "*cpu_capability*"),
    ("cpu.torch.mkl_gemm|cpu.torch.threads|cpu.torch.batch_invariance", "numerics.env|env", _THREADS),
    ("cpu.torch.threads", "numerics.flag", "*thread*"),
    ("cpu.torch.threads|cpu.torch.mkl_gemm", "cpu.cores", "*"),
    ("cpu.jax.*|gpu.jax.*", "numerics.env|env", "XLA_FLAGS|JAX_*"),
    ("cpu.jax.*|gpu.jax.*", "numerics.flag", "jax*"),
    ("cpu.jax.*|gpu.jax.*", "package.*", "jax|jaxlib|jax-cuda*"),
    ("gpu.*", "numerics.env|env", "NVIDIA_TF32_OVERRIDE|TORCH_ALLOW_TF32*|CUBLAS_*|CUDA_*|TORCH_CUDNN_*"),
    ("gpu.*", "numerics.flag", "*"),
    ("gpu.torch.*", "package.*", "torch|" + CUDA_LIBS),
    ("gpu.cupy.*", "package.*", "cupy*|" + CUDA_LIBS),
    ("gpu.*", "cuda|cuda.wheel|cudnn|cuda.source|driver|gpu|gpu.mode|gpu.visible", "*"),
)


def measured_by(probe_id: str, c: Change) -> bool:
    """Does a change of probe ``probe_id`` confirm the configuration difference ``c``?"""
    subject = c.subject.lower()
    for probes, categories, subjects in PROBE_KNOBS:
        if (any(fnmatchcase(probe_id, g) for g in probes.split("|"))
                and any(fnmatchcase(c.category, g) for g in categories.split("|"))
                and any(fnmatchcase(subject, g.strip().lower()) for g in subjects.split("|"))):
            return True
    return False


def rank(c: Change) -> Rule:
    """The first matching rule (the last rule matches everything)."""
    return next(rule for rule in RULES if rule.matches(c))


def rules_markdown() -> str:
    """The RULES table as Markdown, as docs/diff.md shows it (a test keeps them equal)."""

    def cut(text: str) -> str:
        text = text if len(text) <= 40 else text[:37] + "..."
        return text.replace("|", "\\|")

    lines = ["| rule | category | subject | when | severity | reason |", "|---|---|---|---|---|---|"]
    for r in RULES:
        lines.append(f"| `{r.id}` | `{cut(r.category)}` | `{cut(r.subject)}` | {r.when or ''} | "
                     f"**{r.severity.value}** | {r.reason} |")
    return "\n".join(lines) + "\n"
