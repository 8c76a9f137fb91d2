"""Reports of real diff results: JSON against the committed schema, Markdown/text/PNG determinism."""
from __future__ import annotations

import json

import numpy as np
import pytest

from envsnap.cli import main
from envsnap.diff import diff_manifests, diff_outputs, diff_snapshots
from envsnap.manifest_io import save
from envsnap.report.diff_json import SCHEMA_PATH, render_json, schema_text
from envsnap.report.diff_markdown import render_markdown
from envsnap.report.diff_plot import render_plot
from envsnap.report.diff_text import render_text
from envsnap.snapshot import read_snapshot
from tests.diff.test_envdiff import manifest, update


def _snapshots(tmp_path):
    a = manifest()
    b = update(a, env={**a.env, "OMP_NUM_THREADS": "2"})
    for side, m, shift in (("A", a, 0.0), ("B", b, 1e-3)):
        root = tmp_path / side
        (root / "outputs").mkdir(parents=True)
        save(m, root / "manifest.json")
        w = np.linspace(0, 1, 100, dtype=np.float32)
        w[50] += np.float32(shift)
        np.save(root / "outputs" / "w.npy", w)
        (root / "metrics.jsonl").write_text("".join(
            json.dumps({"step": s, "loss": 1 / (s + 1) + (shift if s >= 3 else 0.0)}) + "\n" for s in range(6)))
    return tmp_path / "A", tmp_path / "B"


def test_committed_schema_is_current():
    assert SCHEMA_PATH.read_text() == schema_text(), "run: python -m envsnap.report.diff_json"


def test_json_reports_validate_against_the_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_PATH.read_text())
    a, b = _snapshots(tmp_path)
    snap = diff_snapshots(read_snapshot(a), read_snapshot(b))
    outs = diff_outputs(a / "outputs", b / "outputs")
    env = diff_manifests(manifest(), update(manifest(), env={"X": "1"}))
    for result in (snap, outs, env):
        data = json.loads(render_json(result))
        jsonschema.validate(data, schema)
        assert data["schema_version"] == 1 and data["exit_code"] == result.exit_code
    data = json.loads(render_json(snap))
    assert data["verdict"] == "DIVERGED" and data["kind"] == "snapshot"
    loss = data["metrics"]["series"][0]
    assert loss["first_beyond_tolerance"] == 3 and "values_a" not in loss


def test_reports_are_deterministic_and_scrubbed(tmp_path):
    a, b = _snapshots(tmp_path)
    r1, r2 = (diff_snapshots(read_snapshot(a), read_snapshot(b)) for _ in range(2))
    assert render_json(r1) == render_json(r2)
    assert render_markdown(r1) == render_markdown(r2)
    assert render_text(r1) == render_text(r2)
    png = render_plot(r1.series)
    assert png.startswith(b"\x89PNG") and png == render_plot(r2.series)
    md = render_markdown(r1)
    assert "env OMP_NUM_THREADS" in md and "DIVERGED" in md and "<redacted:" not in md
    text = render_text(r1)
    assert "Probe evidence" not in text and "w.npy" in text


def test_cli_snapshot_diff_with_outputs_and_plot(tmp_path, capsys):
    a, b = _snapshots(tmp_path)
    report, png = tmp_path / "r.md", tmp_path / "c.png"
    with pytest.raises(SystemExit) as exc:
        main(["diff", str(a), str(b), "--markdown", "-o", str(report), "--plot", str(png)])
    assert exc.value.code == 1
    assert report.read_text().startswith("## envsnap diff") and png.read_bytes().startswith(b"\x89PNG")
    assert "report written" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["diff", str(a), str(a), "--json"])
    assert exc.value.code == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "BITWISE_IDENTICAL"


def test_cli_two_manifests(tmp_path, capsys):
    save(manifest(), tmp_path / "a.json")
    save(update(manifest(), host=manifest().host.model_copy(update={"arch": "aarch64"})), tmp_path / "b.json")
    with pytest.raises(SystemExit) as exc:
        main(["diff", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    out = capsys.readouterr().out
    assert exc.value.code == 1 and "critical" in out and "aarch64" in out


def test_large_manifest_is_detected_as_a_manifest(tmp_path, capsys):
    """Manifests have sorted keys: schema_version comes after a possibly huge env section."""
    big = update(manifest(), env={f"VAR_{i}": "x" * 100 for i in range(2000)})
    save(big, tmp_path / "a.json")
    save(big, tmp_path / "b.json")
    with pytest.raises(SystemExit) as exc:
        main(["diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--json"])
    assert exc.value.code == 0 and json.loads(capsys.readouterr().out)["kind"] == "env"
