"""Versions the frameworks actually loaded replace the ones read from files.

The GPU values are as torch/cupy report them on real CUDA hosts (torch 2.3.0+cu121: CUDA "12.1",
cuDNN 8902, NCCL (2, 20, 5); cupy-cuda12x 13.1: runtime 12040, cuDNN 90100, NCCL 21805);
there is no GPU here, so they are fed through the same flag keys the probe worker writes."""
import sys

from envsnap.agent_runtime import LocalRunner
from envsnap.capture import _with_loaded_versions, capture_environment
from envsnap.model import Cuda, FrameworkCuda


def test_recorded_gpu_versions_are_decoded():
    static = Cuda(frameworks=[FrameworkCuda(framework="torch", version="2.3.0+cu121", cuda="12.1", how="static")])
    flags = {"loaded.torch.version": "2.3.0+cu121", "loaded.torch.cuda": "12.1", "loaded.torch.cudnn": 8902,
             "loaded.torch.nccl": "2.20.5", "loaded.cupy.version": "13.1.0", "loaded.cupy.cuda": 12040,
             "loaded.cupy.cudnn": 90100, "loaded.cupy.nccl": 21805, "torch.backends.cudnn.allow_tf32": True}
    out = _with_loaded_versions(static, flags)
    by = {f.framework: f for f in out.frameworks}
    assert by["torch"].model_dump() == {"framework": "torch", "version": "2.3.0+cu121", "cuda": "12.1",
                                        "cudnn": "8.9.2", "nccl": "2.20.5", "how": "loaded", "error": None}
    assert (by["cupy"].cuda, by["cupy"].cudnn, by["cupy"].nccl) == ("12.4", "9.1.0", "2.18.5")
    assert flags == {"torch.backends.cudnn.allow_tf32": True}  # moved, not duplicated


def test_capture_with_probes_records_the_loaded_torch(tmp_path):
    m = capture_environment(runner=LocalRunner(sys.executable, cwd=str(tmp_path)))
    (torch,) = [f for f in m.cuda.frameworks if f.framework == "torch"]
    assert torch.how == "loaded" and torch.version.startswith("2.") and torch.cuda is None
    assert not any(k.startswith("loaded.") for k in m.numerics.flags)
