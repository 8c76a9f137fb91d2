"""The build pipeline on the in-memory engine: image identity, reuse, the lock cache, refusals."""
from pathlib import Path

import pytest

from envsnap.build.pipeline import BuildOptions, build_image, prepare, read_ca_bundle
from envsnap.engines.fake import FakeEngine
from envsnap.errors import EngineError, InputError
from envsnap.model import Numerics
from tests.manifests import local_wheel_package, make_wheel, manifest


@pytest.fixture
def m(tmp_path):
    wheel = make_wheel(tmp_path, "tinypkg", "0.1")
    return manifest([local_wheel_package(wheel, "tinypkg", "0.1")])


def test_bad_ca_bundle_is_refused_before_any_engine_work(tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(InputError, match="is not a PEM certificate bundle"):
        read_ca_bundle(bad)
    with pytest.raises(InputError, match="cannot read"):
        read_ca_bundle(tmp_path / "missing.pem")


def test_an_unchanged_manifest_reuses_its_image_without_building(m, tmp_path):
    engine = FakeEngine()
    first = build_image(m, engine, context_dir=tmp_path / "c1")
    second = build_image(m, engine, context_dir=tmp_path / "c2")
    assert not first.reused and second.reused and len(engine.built) == 1
    assert first.image.tag == second.image.tag == first.prepared.tag
    assert first.image.tag.startswith("envsnap/replay:") and len(first.image.tag.split(":")[1]) == 16


def test_everything_that_changes_the_image_changes_its_tag(m, tmp_path):
    engine = FakeEngine(images=["envsnap/debian:bookworm", "other/base:1"])
    default = prepare(m, engine)
    assert prepare(m, engine).digest == default.digest  # deterministic
    other_base = prepare(m, engine, BuildOptions(base_image="other/base:1"))
    with_ca = prepare(m, engine, BuildOptions(ca_bundle=b"-----BEGIN CERTIFICATE-----\nx\n"))
    changed = prepare(m.model_copy(update={"numerics": Numerics(env={"OMP_NUM_THREADS": "1"})}), engine)
    tags = {default.tag, other_base.tag, with_ca.tag, changed.tag}
    assert len(tags) == 4


def test_a_manifest_changed_in_memory_builds_its_own_image(m, tmp_path):
    engine = FakeEngine()
    base = build_image(m, engine)
    changed = m.model_copy(update={"numerics": Numerics(env={"OPENBLAS_CORETYPE": "Haswell"})})
    res = build_image(changed, engine)
    assert not res.reused and res.image.tag != base.image.tag
    assert "ENV OPENBLAS_CORETYPE='Haswell'" in res.prepared.context.dockerfile


def test_the_lock_is_cached_by_what_it_depends_on(m, monkeypatch):
    import envsnap.lock.cache as cache

    calls = []

    orig = cache.lock_manifest

    def counting(*args, **kwargs):
        calls.append(1)
        return orig(*args, **kwargs)

    monkeypatch.setattr(cache, "lock_manifest", counting)
    engine = FakeEngine()
    prepare(m, engine)
    # Another capture of the same environment: other timestamps, same packages -> no re-lock.
    later = m.model_copy(update={"envsnap": m.envsnap.model_copy(update={"created_at": "2030-01-01T00:00:00Z"})})
    prepare(later, engine)
    assert calls == [1]
    prepare(m, engine, BuildOptions(wheelhouse=True))  # a lock option changes the key
    assert calls == [1, 1]


def test_a_missing_base_image_is_one_clear_error(m):
    with pytest.raises(EngineError, match=r"neither the chosen base image .* nor the local fallback"):
        prepare(m, FakeEngine(images=[]))
    with pytest.raises(EngineError, match="base image nope:1 is not available to fake"):
        prepare(m, FakeEngine(), BuildOptions(base_image="nope:1"))


def test_build_failure_keeps_the_log_tail(m, tmp_path):
    engine = FakeEngine(fail_build="ERROR: THESE PACKAGES DO NOT MATCH THE HASHES")
    with pytest.raises(EngineError) as exc:
        build_image(m, engine, context_dir=tmp_path / "ctx")
    assert "THESE PACKAGES DO NOT MATCH" in (exc.value.detail or "")
    assert Path(tmp_path / "ctx" / "build.log").is_file()


def test_build_progress_travels_as_events(m):
    from envsnap.events import BuildStep, Recorder, Stage

    rec = Recorder()
    build_image(m, FakeEngine(), on_event=rec)
    assert rec.of(BuildStep) and any("building envsnap/replay:" in e.message for e in rec.of(Stage))
