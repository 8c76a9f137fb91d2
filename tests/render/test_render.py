import io
import os
import tempfile
from pathlib import Path

import jinja2
import pytest
from dockerfile_parse import DockerfileParser
from hypothesis import given, settings
from hypothesis import strategies as st

from envsnap.lock import lock_manifest
from envsnap.render import RenderOptions, choose_base, render_context, write_context
from envsnap.render.quote import quote_value
from tests.manifests import local_wheel_package, make_wheel, manifest

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ENVSNAP_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def wheel():
    # A fixed path: the manifest (and so its hash in the golden Dockerfiles) records where the
    # wheel was installed from. The wheel's bytes are deterministic, so sharing it is safe.
    d = Path(tempfile.gettempdir()) / "envsnap-golden-wheels"
    d.mkdir(exist_ok=True)
    return make_wheel(d, "tinypkg", "0.1")


def _lock(m, tmp_path):
    return lock_manifest(m, tmp_path / "lock")


def _parse(dockerfile: str, build_args=None) -> DockerfileParser:
    return DockerfileParser(fileobj=io.BytesIO(dockerfile.encode("utf-8")), build_args=build_args or {},
                            env_replace=True)


def _cases(wheel):
    pkg = local_wheel_package(wheel, "tinypkg", "0.1")
    return {
        # Debian's python3 in a venv, captured on bookworm: apt pins the captured debs.
        "debian-venv": (manifest([pkg], numerics_env={"OMP_NUM_THREADS": "1", "LD_PRELOAD": "/opt/x.so"}),
                        RenderOptions(base_image="envsnap/debian:bookworm", base_id="sha256:" + "1" * 64)),
        # pyenv CPython 3.11.7: the official python image of the exact version.
        "pyenv-python-image": (manifest([pkg], python={"version": "3.11.7", "base_prefix": "/root/.pyenv/versions/3.11.7",
                                                       "executable": "/work/.venv/bin/python", "prefix": "/work/.venv"},
                                        os_packages=[]), RenderOptions()),
        # A GPU run with CUDA from the system toolkit, image digest resolved, CA bundle for pip.
        "gpu-system-cuda": (manifest([pkg], gpu=True, cuda_source="system",
                                     numerics_env={"CUBLAS_WORKSPACE_CONFIG": ":4096:8", "NVIDIA_TF32_OVERRIDE": "0"}),
                            RenderOptions(base_digest="sha256:" + "ab" * 32, ca_bundle=b"-----BEGIN CERTIFICATE-----\n")),
    }


@pytest.mark.parametrize("case", ["debian-venv", "pyenv-python-image", "gpu-system-cuda"])
def test_golden_dockerfiles(case, wheel, tmp_path):
    m, opts = _cases(wheel)[case]
    ctx = render_context(m, _lock(m, tmp_path), opts)
    golden = GOLDEN / f"{case}.Dockerfile"
    # The manifest records where the test wheel lives (under TMPDIR), so its hash differs between
    # machines: the golden text holds a placeholder (the hash itself is tested for determinism).
    text = ctx.dockerfile.replace(ctx.manifest_sha256, "<MANIFEST-SHA256>")
    if UPDATE:
        golden.write_text(text)
    assert text == golden.read_text(), f"re-run with ENVSNAP_UPDATE_GOLDEN=1 if {case} changed on purpose"
    # A real Dockerfile parser reads it back: stages, instructions, ENV and LABEL values.
    parsed = _parse(ctx.dockerfile, dict(ctx.build_args))
    instructions = [i["instruction"] for i in parsed.structure]
    assert instructions.count("FROM") == 3
    assert parsed.envs == {**ctx.env}
    assert parsed.labels == {**ctx.labels}
    assert instructions[-3:] == ["USER", "WORKDIR", "CMD"]


def test_render_is_pure_and_deterministic(wheel, tmp_path):
    m, opts = _cases(wheel)["debian-venv"]
    lock = _lock(m, tmp_path)
    a, b = render_context(m, lock, opts), render_context(m, lock, opts)
    assert a.files == b.files and a.links == b.links
    write_context(a, tmp_path / "c1")
    write_context(b, tmp_path / "c2")
    for rel in list(a.files) + list(a.links):
        assert (tmp_path / "c1" / rel).read_bytes() == (tmp_path / "c2" / rel).read_bytes()


def test_debian_python_is_pinned_to_the_captured_debs(wheel, tmp_path):
    m, opts = _cases(wheel)["debian-venv"]
    ctx = render_context(m, _lock(m, tmp_path), opts)
    assert ctx.python.provider == "apt-exact" and ctx.python.exact
    assert "python3.11=3.11.2-6+deb12u6" in ctx.python.apt_packages
    assert "libc6=2.36-9+deb12u14" in ctx.python.apt_packages
    assert ctx.python.venv == "/srv/venv" and ctx.env["PATH"].startswith("/srv/venv/bin:")
    assert "--no-deps --require-hashes" in ctx.dockerfile and "--no-index" in ctx.dockerfile
    # Only numerics variables, never host paths: LD_PRELOAD is reported, not baked in.
    assert ctx.env["OMP_NUM_THREADS"] == "1" and "LD_PRELOAD" not in ctx.env
    assert any("LD_PRELOAD" in w for w in ctx.warnings)
    # Layer order: system packages, python, locked packages, then the snapshot's own files.
    d = ctx.dockerfile
    assert d.index("envsnap-apt-install") < d.index("-m venv") < d.index("pip install") < d.index("COPY manifest.json")


def test_other_python_gets_a_visible_warning_on_a_distro_base(wheel, tmp_path):
    m, _ = _cases(wheel)["pyenv-python-image"]
    ctx = render_context(m, _lock(m, tmp_path), RenderOptions(base_image="envsnap/debian:bookworm"))
    assert not ctx.python.exact and ctx.python.provider == "apt-distro"
    assert any("captured cpython 3.11.7" in w for w in ctx.warnings)
    assert "# WARNING: captured cpython 3.11.7" in ctx.dockerfile


def test_gpu_run_sets_nvidia_runtime_env(wheel, tmp_path):
    m, opts = _cases(wheel)["gpu-system-cuda"]
    ctx = render_context(m, _lock(m, tmp_path), opts)
    assert ctx.env["NVIDIA_VISIBLE_DEVICES"] == "all"
    assert ctx.env["NVIDIA_DRIVER_CAPABILITIES"] == "compute,utility"
    assert ctx.base_image == "nvidia/cuda:12.1-cudnn-runtime-ubuntu22.04"
    assert f"FROM nvidia/cuda@{opts.base_digest} AS system" in ctx.dockerfile
    assert ctx.labels["org.opencontainers.image.base.digest"] == opts.base_digest
    # The CA bundle is used by pip in the builder stage only, never copied into the final image.
    final = ctx.dockerfile.rsplit("FROM system\n", 1)[1]
    assert "ca-bundle.pem" in ctx.dockerfile and "ca-bundle.pem" not in final


@pytest.mark.parametrize("kw,expected", [
    ({}, "debian:bookworm"),
    ({"python": {"version": "3.10.14", "base_prefix": "/usr/local"}, "os_packages": []}, "python:3.10.14-slim-bookworm"),
    ({"gpu": True, "cuda_source": "pip-wheels"}, "debian:bookworm"),
    ({"gpu": True, "cuda_source": "system"}, "nvidia/cuda:12.1-cudnn-runtime-ubuntu22.04"),
])
def test_base_image_choice(kw, expected):
    assert choose_base(manifest([], **kw)).ref == expected


def test_strict_undefined_fails_loudly(wheel, tmp_path):
    tdir = tmp_path / "tpl"
    tdir.mkdir()
    (tdir / "Dockerfile.j2").write_text("FROM {{ no_such_variable }}\n")
    m, opts = _cases(wheel)["debian-venv"]
    with pytest.raises(jinja2.UndefinedError):
        render_context(m, _lock(m, tmp_path), opts, template_dir=tdir)


_values = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40) | \
    st.text(alphabet="'\"$\\ \n\t{}`#=é€😀\r", max_size=20)


@settings(max_examples=300, deadline=None)
@given(env_value=_values, label_value=_values)
def test_env_and_label_values_round_trip_exactly(env_value, label_value):
    env_word, a1 = quote_value(env_value)
    label_word, a2 = quote_value(label_value)
    args = {**a1, **a2}
    text = "FROM scratch\n" + "".join(f"ARG {k}\n" for k in sorted(args)) + \
        f"ENV K={env_word}\nLABEL org.example.v={label_word}\n"
    parsed = _parse(text, args)
    assert parsed.envs["K"] == env_value
    assert parsed.labels["org.example.v"] == label_value


def test_a_gpu_host_running_cpu_code_gets_no_gpu_image(tmp_path):
    """One rule decides "the run used a GPU" for the image and for replay (Manifest.used_gpu):
    GPUs present but no framework with CUDA -> neither NVIDIA variables nor a GPU request."""
    from envsnap.model import GPU, Nvidia
    from envsnap.replay.gpu import check_gpu_host

    m = manifest([]).model_copy(update={"nvidia": Nvidia(driver_version="550.54.15", gpus=[
        GPU(index=0, name="NVIDIA A100-SXM4-40GB", compute_capability="8.0")])})
    assert not m.used_gpu()
    ctx = render_context(m, lock_manifest(m, tmp_path / "lock"), RenderOptions(base_image="envsnap/debian:bookworm"))
    assert "NVIDIA_VISIBLE_DEVICES" not in ctx.env
    check = check_gpu_host(m, m.nvidia)
    assert not check.used and not check.attach
    gpu_run = manifest([], gpu=True)
    assert gpu_run.used_gpu() and check_gpu_host(gpu_run, gpu_run.nvidia).attach
    assert render_context(gpu_run, lock_manifest(gpu_run, tmp_path / "l2"),
                          RenderOptions(base_image="envsnap/debian:bookworm")).env["NVIDIA_VISIBLE_DEVICES"] == "all"
