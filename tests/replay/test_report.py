"""The replay report's causes: settings first, probes as evidence, no low-ranked clutter."""
from envsnap.diff.results import Difference, EnvDiff, Severity, SnapshotDiff
from envsnap.replay.report import causes


def _d(subject, severity, category="env", rule="env.other"):
    return Difference(rule=rule, severity=severity, category=category, subject=subject, path=subject,
                      change="changed", a="x", b="y", reason="r")


def _snap(*diffs):
    return SnapshotDiff(a="a", b="b", env=EnvDiff(differences=list(diffs)))


def test_low_ranked_differences_drop_out_when_something_matters():
    got = causes(_snap(_d("env OPENBLAS_CORETYPE", Severity.CRITICAL, "numerics.env", "numerics.env"),
                       _d("cpu.blas.gemm", Severity.CRITICAL, "probe.fingerprint", "probe.fingerprint"),
                       _d("env AWS_CA_BUNDLE", Severity.LOW)))
    assert [c.subject for c in got] == ["env OPENBLAS_CORETYPE"]


def test_low_ranked_differences_shown_when_nothing_else_differs():
    got = causes(_snap(_d("env AWS_CA_BUNDLE", Severity.LOW), _d("pip", Severity.NEGLIGIBLE, "package.version")))
    assert [c.subject for c in got] == ["env AWS_CA_BUNDLE"]
