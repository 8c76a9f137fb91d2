"""GPU host checks. No GPU on the machines that run these tests: the Nvidia sections below hold
values recorded with NVML on real hardware (an A100-SXM4-40GB with driver 535.104.05 / CUDA
12.2; a Tesla T4 with driver 470.182.03 / CUDA 11.4; an H100 80GB HBM3 with driver 550.54.15 /
CUDA 12.4), fed to the same pure check the replay runs."""
import pytest

from envsnap.model import GPU, Cuda, EnvsnapInfo, FrameworkCuda, Manifest, Nvidia
from envsnap.replay.gpu import check_gpu_host, parse_gpus

A100 = GPU(index=0, name="NVIDIA A100-SXM4-40GB", compute_capability="8.0", architecture="Ampere")
T4 = GPU(index=0, name="Tesla T4", compute_capability="7.5", architecture="Turing")
H100 = GPU(index=0, name="NVIDIA H100 80GB HBM3", compute_capability="9.0", architecture="Hopper")
A100_HOST = Nvidia(driver_version="535.104.05", cuda_driver_version="12.2", gpus=[A100, A100.model_copy(update={"index": 1})])
T4_HOST = Nvidia(driver_version="470.182.03", cuda_driver_version="11.4", gpus=[T4])
H100_HOST = Nvidia(driver_version="550.54.15", cuda_driver_version="12.4", gpus=[H100])
NO_GPU = Nvidia(status="skipped", reason="no NVIDIA driver: libnvidia-ml.so.1 not found")


def run_on(nv: Nvidia, cuda: str = "12.1") -> Manifest:
    return Manifest(envsnap=EnvsnapInfo(version="0", created_at="2020-01-01T00:00:00Z"), nvidia=nv,
                    cuda=Cuda(frameworks=[FrameworkCuda(framework="torch", version="2.3.0+cu121", cuda=cuda, how="loaded")]))


def test_same_host_kind_is_fine():
    chk = check_gpu_host(run_on(A100_HOST), A100_HOST)
    assert chk.ok and chk.attach and chk.warnings == []


def test_driver_too_old_for_the_captured_cuda_major_is_refused():
    chk = check_gpu_host(run_on(A100_HOST, "12.1"), T4_HOST)
    assert not chk.ok
    assert any("CUDA 12.x, which needs NVIDIA driver >= 525" in r and "470.182.03" in r for r in chk.refusals)


def test_cuda_11_runs_on_a_470_driver_with_an_architecture_warning():
    chk = check_gpu_host(run_on(T4_HOST, "11.3"), A100_HOST)
    assert chk.ok
    assert any("architecture differs" in w and "7.5" in w and "8.0" in w for w in chk.warnings)
    assert any("1 GPU(s) captured, 2 attached" in w for w in chk.warnings)


def test_cuda_13_needs_580():
    chk = check_gpu_host(run_on(H100_HOST, "13.0"), H100_HOST)
    assert any(">= 580" in r for r in chk.refusals)


def test_no_gpu_on_the_host_is_refused_unless_gpus_none():
    assert not check_gpu_host(run_on(A100_HOST), NO_GPU).ok
    chk = check_gpu_host(run_on(A100_HOST), NO_GPU, gpus=[])
    assert chk.ok and not chk.attach and "CPU" in chk.warnings[0]


def test_cpu_runs_need_no_gpu():
    m = Manifest(envsnap=EnvsnapInfo(version="0", created_at="2020-01-01T00:00:00Z"))
    chk = check_gpu_host(m, NO_GPU)
    assert chk.ok and not chk.used and not chk.attach


def test_asking_for_a_gpu_the_host_lacks_is_refused():
    chk = check_gpu_host(run_on(A100_HOST), A100_HOST, gpus=[0, 3])
    assert any("GPU 3" in r for r in chk.refusals)


def test_parse_gpus():
    assert parse_gpus("all") is None and parse_gpus("none") == [] and parse_gpus("0,1") == [0, 1]
    with pytest.raises(ValueError):
        parse_gpus("first")
