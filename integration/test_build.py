"""Real Docker: capture a venv of Debian's python3, build its image, and show the image's Python
is the same version with exactly the same packages (names, versions, installed-file hashes).

Needs a Docker engine and the local base image: provisioned by integration/provision.sh
(idempotent), and network access to PyPI (through the proxy, with the host CA bundle).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from envsnap.build.pipeline import BuildOptions, BuildResult, build_image, read_ca_bundle
from envsnap.engines.base import Mount, RunSpec
from envsnap.engines.docker import DockerEngine as Engine
from envsnap.manifest_io import load_manifest

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[1]
SYSTEM_PY = "/usr/bin/python3"
CA = os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
PYPI_PINS = ["six==1.16.0", "packaging==24.1", "numpy==1.26.4"]

# Run by the venv's python on the host and by the image's `python`: every distribution with its
# version and a digest of its installed files (RECORD hashes; installer bookkeeping excluded).
INVENTORY = textwrap.dedent("""
    import hashlib, json, re, sys
    from importlib import metadata
    skip = ("INSTALLER", "REQUESTED", "direct_url.json", "RECORD")
    out = {}
    for d in metadata.distributions():
        name = re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower()
        rows = sorted(r for r in (d.read_text("RECORD") or "").splitlines()
                      if r.split(",")[1:2] != [""] and not r.split(",")[0].endswith(skip))
        out[name] = [d.version, hashlib.sha256("\\n".join(rows).encode()).hexdigest(), len(rows)]
    print(json.dumps({"python": list(sys.version_info[:3]), "impl": sys.implementation.name,
                      "executable": sys.executable, "packages": out}, sort_keys=True))
""")


@pytest.fixture(scope="session")
def engine() -> Engine:
    res = subprocess.run(["bash", str(REPO / "integration" / "provision.sh")], capture_output=True, text=True)
    assert res.returncode == 0, f"provisioning failed:\n{res.stderr[-2000:]}"
    return Engine()


@pytest.fixture(scope="module")
def captured(tmp_path_factory) -> dict:
    if not os.path.exists(SYSTEM_PY):
        pytest.skip("Debian's /usr/bin/python3 is not installed")
    root = tmp_path_factory.mktemp("buildenv")
    venv = root / "venv"
    subprocess.run([SYSTEM_PY, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    # A package that exists only as a local wheel file, built here.
    proj = root / "tinyproj"
    (proj / "tinyproj").mkdir(parents=True)
    (proj / "tinyproj" / "__init__.py").write_text("ANSWER = 42\n")
    (proj / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "tinyproj"
        version = "0.1.0"
    """))
    # Built with envsnap's own pip/setuptools (the target venv's setuptools 66 lacks bdist_wheel).
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(root / "dist"),
                    str(proj)], check=True)
    (wheel,) = (root / "dist").glob("tinyproj-0.1.0-*.whl")
    subprocess.run([py, "-m", "pip", "install", "-q", *PYPI_PINS, str(wheel)], check=True)
    manifest_path = root / "env.json"
    subprocess.run([sys.executable, "-m", "envsnap", "capture", "--python", py, "--no-probes", "-o",
                    str(manifest_path)], check=True)
    inventory = json.loads(subprocess.run([py, "-c", INVENTORY], check=True, capture_output=True, text=True,
                                          cwd=root).stdout)
    return {"root": root, "venv": venv, "manifest": manifest_path, "inventory": inventory, "wheel": wheel}


def build(manifest, *, engine, ca_bundle=None, wheelhouse=False, network=None, tag=None, context_dir=None,
          save=None, reuse=True) -> BuildResult:
    m = manifest if not isinstance(manifest, (str, Path)) else load_manifest(manifest)
    opts = BuildOptions(ca_bundle=read_ca_bundle(ca_bundle), wheelhouse=wheelhouse, network=network)
    return build_image(m, engine, opts, tag=tag, context_dir=context_dir, save=save, reuse=reuse)


def run(engine, image, command, **kw):
    timeout = kw.pop("timeout", None)
    return engine.run(RunSpec(image=image, command=tuple(command), timeout_s=timeout, **kw))


@pytest.fixture(scope="module")
def built(engine, captured):
    res = build(captured["manifest"], ca_bundle=CA, context_dir=captured["root"] / "ctx", engine=engine,
                save=captured["root"] / "images.tar", reuse=False)
    yield res
    engine.remove_image(res.image.tag)  # layers stay cached; the per-venv tag would only pile up


def test_image_python_has_exactly_the_captured_packages(engine, captured, built):
    m = load_manifest(captured["manifest"])
    assert {p.name for p in m.packages.python} >= {"six", "packaging", "numpy", "tinyproj"}
    # tinyproj only exists as a local wheel file: it travelled in the wheelhouse, hash-verified.
    tiny = next(p for p in built.prepared.lock.packages if p.name == "tinyproj")
    assert tiny.kind == "wheelhouse" and tiny.filename == captured["wheel"].name
    # Every package is pinned to the one artifact that was installed: six from PyPI; numpy from
    # wherever pip took it (this machine's file:// index holds it: then it travels in the wheelhouse).
    locked = {p.name: p for p in built.prepared.lock.packages}
    assert locked["six"].kind == "index" and locked["six"].index_url == "https://pypi.org/simple"
    assert all(len(p.hashes) == 1 for p in locked.values())
    assert "manylinux" in (locked["numpy"].filename or "")

    res = run(engine, built.image.tag, ["python", "-c", INVENTORY], network="none", timeout=120)
    assert res.exit_code == 0, res.log
    image_inv = json.loads(res.log.strip().splitlines()[-1])
    host_inv = captured["inventory"]
    assert image_inv["python"] == host_inv["python"] == [3, 11, 2]
    assert image_inv["impl"] == "cpython"
    assert image_inv["executable"] == str(captured["venv"] / "bin" / "python")  # `python` on PATH is the venv's
    assert image_inv["packages"] == host_inv["packages"]  # names, versions, installed-file hashes


def test_second_build_is_served_from_cache(engine, captured, built):
    # The same context: the image is reused without a build...
    again = build(captured["manifest"], ca_bundle=CA, context_dir=captured["root"] / "ctx2", engine=engine)
    assert again.reused and again.image.id == built.image.id and again.image.tag == built.image.tag
    # ...and a forced build is all cache.
    forced = build(captured["manifest"], ca_bundle=CA, context_dir=captured["root"] / "ctx2", engine=engine,
                   reuse=False)
    assert forced.image.cached, f"{forced.image.cached_steps}/{forced.image.steps} steps cached"
    assert forced.image.id == built.image.id


def test_image_metadata_ca_bundle_and_saved_tar(engine, captured, built):
    info = engine.image_info(built.image.tag)
    assert info.labels["dev.envsnap.manifest.sha256"] == built.prepared.context.manifest_sha256
    assert info.labels["org.opencontainers.image.base.name"] == built.prepared.base_image
    # Non-root user, writable workspace; the build's CA bundle is nowhere in the final image.
    res = run(engine, built.image.tag, ["sh", "-c", "id -u; touch /workspace/w && echo ok; "
                                                   "ls /tmp/envsnap 2>&1; find / -xdev -name ca-bundle.pem 2>/dev/null"],
                     network="none", timeout=60)
    lines = res.log.split()
    assert lines[0] == "1000" and "ok" in lines and "ca-bundle.pem" not in res.log
    import tarfile

    with tarfile.open(built.saved) as tf:
        names = tf.getnames()
        repos = json.load(tf.extractfile("repositories")) if "repositories" in names else {}
    assert built.image.tag.split(":")[0] in repos and built.prepared.base_image.split(":")[0] in repos


def test_agent_runs_in_the_image(engine, captured, built):
    from envsnap.agent_runtime import build_agent_dir

    agent = build_agent_dir(captured["root"] / "agent")  # mounted read-only, as replay does
    res = run(engine, built.image.tag, ["python", "/opt/envsnap-agent", "capture"],
              mounts=(Mount(str(agent), "/opt/envsnap-agent", read_only=True),), network="none", timeout=120)
    assert res.exit_code == 0, res.log[-2000:]
    data = json.loads(res.log[res.log.index("{"):])
    inside = {p["name"]: p["version"] for p in data["packages"]["python"]}
    outside = {p.name: p.version for p in load_manifest(captured["manifest"]).packages.python}
    assert inside == outside


def test_env_values_round_trip_through_a_real_build(engine, captured, built):
    m = load_manifest(captured["manifest"])
    tricky = "a 'q' \"dq\" $HOME ${X} \\back\\ tab\t nl\nend é€😀"
    m2 = m.model_copy(update={"numerics": m.numerics.model_copy(update={"env": {"XLA_FLAGS": tricky,
                                                                               "OMP_NUM_THREADS": "1"}})})
    res = build(m2, ca_bundle=CA, context_dir=captured["root"] / "ctx3", engine=engine)
    env = engine.image_info(res.image.tag).env
    assert env["XLA_FLAGS"] == tricky and env["OMP_NUM_THREADS"] == "1"
    # Only the final, metadata layers differ: the package layers came from the cache.
    assert res.image.cached_steps >= 8
    engine.remove_image(res.image.tag)


def test_wheelhouse_build_needs_no_network(engine, captured, built):
    """--wheelhouse: every artifact travels in the context; pip runs with --no-index and the
    build's RUN steps get no network at all (the system stage comes from the cache)."""
    res = build(captured["manifest"], wheelhouse=True, context_dir=captured["root"] / "ctx-air", engine=engine,
                tag="envsnap/replay-test:airgapped", network="none")
    lock = res.prepared.lock
    assert lock.index_urls == [] and "--no-index" in res.prepared.context.dockerfile
    assert sorted(lock.wheelhouse) == sorted(p.filename for p in lock.packages)
    out = run(engine, res.image.tag, ["python", "-c", INVENTORY], network="none", timeout=120)
    assert json.loads(out.log.strip().splitlines()[-1])["packages"] == captured["inventory"]["packages"]
    engine.remove_image(res.image.tag)


def test_run_timeout_removes_the_container(engine, built):
    res = run(engine, built.image.tag, ["sleep", "60"], network="none", timeout=2, name="envsnap-test-timeout")
    assert res.timed_out and res.duration_s < 30
    assert not engine.client.containers.list(all=True, filters={"name": "envsnap-test-timeout"})


def test_failed_install_is_one_error_with_the_log_tail(engine, captured, tmp_path):
    from envsnap.errors import EngineError
    from envsnap.lock import lock_manifest
    from envsnap.render import RenderOptions, render_context, write_context

    m = load_manifest(captured["manifest"])
    ctx_dir = tmp_path / "ctx"
    lock = lock_manifest(m, ctx_dir, wheelhouse=False)
    ctx = render_context(m, lock, RenderOptions(base_image="envsnap/debian:bookworm", ca_bundle=Path(CA).read_bytes()))
    write_context(ctx, ctx_dir)
    wheel = ctx_dir / "wheelhouse" / captured["wheel"].name
    wheel.unlink()  # break the hard link, then tamper with the context's copy only
    wheel.write_bytes(captured["wheel"].read_bytes() + b"\0")
    with pytest.raises(EngineError) as err:
        engine.build(ctx_dir, "envsnap/replay-test:broken", log_path=ctx_dir / "build.log")
    assert err.value.message.startswith("image build failed at step ")
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in err.value.message
    assert any("tinyproj" in ln for ln in err.value.log_tail) and (ctx_dir / "build.log").is_file()
