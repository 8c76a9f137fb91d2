"""Versions the frameworks actually loaded replace the ones read from files.

The GPU values are as torch/cupy report them on real CUDA hosts (torch 2.3.0+cu121: CUDA "12.1",
cuDNN 8902, NCCL (2, 20, 5); cupy-cuda12x 13.1: runtime 12040, cuDNN 90100, NCCL 21805);
there is no GPU here, so they are fed through the worker's protocol message as it sends them."""
import importlib.util
import sys

import pytest

from envsnap.agent_runtime import LocalRunner
from envsnap.capture import capture_environment, with_loaded_versions
from envsnap.model import Cuda, FrameworkCuda
from envsnap.probes.runner import _parse, decode_loaded

RECORDED = {"torch": {"version": "2.3.0+cu121", "cuda": "12.1", "cudnn": 8902, "nccl": "2.20.5"},
            "cupy": {"version": "13.1.0", "cuda": 12040, "cudnn": 90100, "nccl": 21805}}


def test_recorded_gpu_versions_are_decoded():
    line = '@envsnap {"flags": {"torch.backends.cudnn.allow_tf32": true}, "loaded": %s}' % (
        __import__("json").dumps(RECORDED))
    att = _parse(line)
    assert att.flags == {"torch.backends.cudnn.allow_tf32": True}  # flags carry no loaded.* keys
    static = Cuda(frameworks=[FrameworkCuda(framework="torch", version="2.3.0+cu121", cuda="12.1", how="static")])
    out = with_loaded_versions(static, decode_loaded(att.loaded))
    by = {f.framework: f for f in out.frameworks}
    assert by["torch"].model_dump() == {"framework": "torch", "version": "2.3.0+cu121", "cuda": "12.1",
                                        "cudnn": "8.9.2", "nccl": "2.20.5", "how": "loaded", "error": None}
    assert (by["cupy"].cuda, by["cupy"].cudnn, by["cupy"].nccl) == ("12.4", "9.1.0", "2.18.5")
    assert static.frameworks[0].how == "static"  # the input value is not changed


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs torch in envsnap's interpreter")
def test_capture_with_probes_records_the_loaded_torch(tmp_path):
    m = capture_environment(runner=LocalRunner(sys.executable, cwd=str(tmp_path)))
    (torch,) = [f for f in m.cuda.frameworks if f.framework == "torch"]
    assert torch.how == "loaded" and torch.version.startswith("2.") and torch.cuda is None
    assert not any(k.startswith("loaded.") for k in m.numerics.flags)
