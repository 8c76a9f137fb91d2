"""The typed results of a diff: what every report renderer (text, JSON, Markdown, PNG) reads.

Verdicts are ordered from best to worst; the verdict of anything holding several results is
the worst of them. ``exit_code`` follows the CLI contract: 0 identical or within tolerance,
1 beyond tolerance (structural mismatch included). Non-finite statistics (an infinite relative
difference when the reference is 0) serialise as the strings "Infinity"/"NaN" in JSON.
"""
from __future__ import annotations

from enum import Enum
from typing import Dict, List, Literal, Optional, Tuple, Union

Number = Union[int, float]

from pydantic import BaseModel, ConfigDict, Field, computed_field

REPORT_SCHEMA_VERSION = 1


class Verdict(str, Enum):
    BITWISE_IDENTICAL = "BITWISE_IDENTICAL"
    WITHIN_ULP = "WITHIN_ULP"
    WITHIN_TOLERANCE = "WITHIN_TOLERANCE"
    DIVERGED = "DIVERGED"
    STRUCTURAL_MISMATCH = "STRUCTURAL_MISMATCH"

    @property
    def rank(self) -> int:
        return _VERDICT_ORDER.index(self)

    @property
    def exit_code(self) -> int:
        return 0 if self.rank <= 2 else 1


_VERDICT_ORDER = list(Verdict)


def worst(verdicts: "List[Verdict] | Tuple[Verdict, ...]", default: Verdict = Verdict.BITWISE_IDENTICAL) -> Verdict:
    return max(verdicts, key=lambda v: v.rank, default=default)


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NEGLIGIBLE = "negligible"

    @property
    def rank(self) -> int:  # 0 = most severe
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = list(Severity)


class Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")


# --- numbers -------------------------------------------------------------------------------

class Tolerance(Result):
    rtol: float
    atol: float
    source: str  # "default for float32 (torch.testing)", "--rtol/--atol", ...


class NanInfPattern(Result):
    """Positions where NaN-ness or infinity differs between A and B (elsewhere they agree)."""

    nan_only_a: int = 0
    nan_only_b: int = 0
    inf_mismatch: int = 0  # one side +-inf, the other not the same infinity (NaN excluded)

    @property
    def equal(self) -> bool:
        return not (self.nan_only_a or self.nan_only_b or self.inf_mismatch)


class ArrayDiff(Result):
    name: str  # "" for a single-array file
    dtype_a: Optional[str] = None
    dtype_b: Optional[str] = None
    shape_a: Optional[List[int]] = None
    shape_b: Optional[List[int]] = None
    verdict: Verdict
    bytes_equal: bool
    size: int = 0  # elements compared
    mismatches: int = 0  # beyond tolerance (NaN vs number counts; NaN vs NaN does not)
    mismatch_fraction: float = 0.0
    max_abs_diff: float = 0.0
    max_abs_index: Optional[List[int]] = None
    max_rel_diff: float = 0.0  # |a-b| / |a|: A is the reference
    max_rel_index: Optional[List[int]] = None
    ulp_max: Optional[int] = None  # None for non-float dtypes
    ulp_p50: Optional[int] = None
    ulp_p99: Optional[int] = None
    rmse: float = 0.0  # over pairs where both values are finite
    nan_inf: NanInfPattern = Field(default_factory=NanInfPattern)
    tolerance: Optional[Tolerance] = None
    only_in: Optional[Literal["a", "b"]] = None
    note: Optional[str] = None


class SeriesDiff(Result):
    """One per-step metric (a metrics.jsonl key or a CSV column) compared step by step."""

    name: str
    index: Literal["step", "row"] = "step"
    steps_a: int
    steps_b: int
    steps_common: int
    only_a: List[Number] = Field(default_factory=list)  # first few steps present only in A
    only_b: List[Number] = Field(default_factory=list)
    first_bitwise_divergence: Optional[Number] = None  # step
    first_beyond_tolerance: Optional[Number] = None
    values_at_first_beyond: Optional[Tuple[float, float]] = None
    stats: ArrayDiff
    verdict: Verdict
    # The aligned curves, kept for plotting only (not part of the JSON report).
    steps: List[Number] = Field(default_factory=list, exclude=True)
    values_a: List[float] = Field(default_factory=list, exclude=True)
    values_b: List[float] = Field(default_factory=list, exclude=True)


FileFormat = Literal["npy", "npz", "safetensors", "pt", "json", "jsonl", "csv", "bytes", "missing"]


class FileDiff(Result):
    path: str  # relative path inside a folder, or the file name
    format_a: Optional[str] = None
    format_b: Optional[str] = None
    verdict: Verdict
    bytes_equal: bool
    only_in: Optional[Literal["a", "b"]] = None
    arrays: List[ArrayDiff] = Field(default_factory=list)
    series: List[SeriesDiff] = Field(default_factory=list)
    note: Optional[str] = None


class OutputsDiff(Result):
    kind: Literal["outputs"] = "outputs"
    a: str
    b: str
    files: List[FileDiff] = Field(default_factory=list)
    tolerance_source: str = "defaults per dtype (torch.testing)"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> Verdict:
        return worst([f.verdict for f in self.files])

    @computed_field  # type: ignore[prop-decorator]
    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    @property
    def series(self) -> List[SeriesDiff]:
        return [s for f in self.files for s in f.series]


# --- environments --------------------------------------------------------------------------

class Difference(Result):
    rule: str  # id of the ranking rule (envsnap/diff/rules.py)
    severity: Severity
    category: str  # package.version, cuda, env, probe.value, ...
    subject: str  # what changed, readable: "torch", "env OMP_NUM_THREADS", "cpu.isa avx512f"
    path: str  # the manifest field, dotted ("packages.python[torch].version")
    change: Literal["added", "removed", "changed"]
    a: Optional[str] = None  # display values (redacted values never shown)
    b: Optional[str] = None
    reason: str
    details: List[str] = Field(default_factory=list)


class EnvDiff(Result):
    kind: Literal["env"] = "env"
    a: str = "A"
    b: str = "B"
    differences: List[Difference] = Field(default_factory=list)  # ranked, most severe first
    evidence: List[str] = Field(default_factory=list)  # probe changes, readable
    noise: List[str] = Field(default_factory=list)  # ignored fields that differ (timestamps, ...)

    @property
    def worst(self) -> Optional[Severity]:
        return min((d.severity for d in self.differences), key=lambda s: s.rank, default=None)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> Literal["SAME", "DIFFERENT"]:
        return "DIFFERENT" if any(d.severity != Severity.NEGLIGIBLE for d in self.differences) else "SAME"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def exit_code(self) -> int:
        return 1 if self.verdict == "DIFFERENT" else 0

    def counts(self) -> Dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for d in self.differences:
            out[d.severity.value] += 1
        return out


# --- snapshots -----------------------------------------------------------------------------

class SnapshotDiff(Result):
    """Two snapshot/replay folders: outputs/, metrics.jsonl, manifest.json."""

    kind: Literal["snapshot"] = "snapshot"
    a: str
    b: str
    outputs: Optional[OutputsDiff] = None  # None when neither side has outputs/
    metrics: Optional[FileDiff] = None  # metrics.jsonl; None when neither side has one
    env: Optional[EnvDiff] = None  # None when a manifest is missing
    notes: List[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> Verdict:
        parts = [self.outputs.verdict] if self.outputs else []
        if self.metrics:
            parts.append(self.metrics.verdict)
        return worst(parts)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    @property
    def series(self) -> List[SeriesDiff]:
        out = list(self.metrics.series) if self.metrics else []
        if self.outputs:
            out.extend(self.outputs.series)
        return out
