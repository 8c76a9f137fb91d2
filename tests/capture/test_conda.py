"""conda environments: packages from conda-meta beside the pip layer.

conda is not installed on the test machines; the conda-meta records below are copied from a
real conda-forge environment (numpy 1.26.4 and python 3.11.8 on linux-64, trimmed to the fields
conda writes at the top level), placed into a real venv's prefix so that the real agent reads
them exactly as it would in a conda env.
"""
import json
import subprocess

from envsnap.agent_runtime import LocalRunner
from envsnap.capture import capture_environment

NUMPY = {
    "build": "py311h64a7726_0", "build_number": 0, "channel": "https://conda.anaconda.org/conda-forge/linux-64",
    "constrains": ["numpy-base <0a0"], "depends": ["libblas >=3.9.0,<4.0a0", "python >=3.11,<3.12.0a0"],
    "fn": "numpy-1.26.4-py311h64a7726_0.conda", "license": "BSD-3-Clause",
    "md5": "a502d7aad449a1206efb366d6a12c52d", "name": "numpy", "requested_spec": "numpy=1.26",
    "sha256": "3f4365e11b28e244c95ba8579942b0802761ba7bb31c026f50d1a9ea9c728149", "size": 8065890,
    "subdir": "linux-64", "timestamp": 1707225380409,
    "url": "https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda",
    "version": "1.26.4",
}
PYTHON = {
    "build": "hab00c5b_0_cpython", "channel": "https://conda.anaconda.org/conda-forge/linux-64",
    "fn": "python-3.11.8-hab00c5b_0_cpython.conda", "md5": "2fdc314ee058eda0114738a9309d3683",
    "name": "python", "sha256": "f33559bb8ad0fd2d2b4e8b4a2b8ba1fd4e8d52a7ce3e8c1d5a63af0e1e10f0f4",
    "subdir": "linux-64", "url": "https://conda.anaconda.org/conda-forge/linux-64/python-3.11.8-hab00c5b_0_cpython.conda",
    "version": "3.11.8",
}


def test_conda_meta_is_read(tmp_path):
    prefix = tmp_path / "env"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(prefix)], check=True)
    meta = prefix / "conda-meta"
    meta.mkdir()
    for rec in (NUMPY, PYTHON):
        (meta / f"{rec['name']}-{rec['version']}-{rec['build']}.json").write_text(json.dumps(rec))
    (meta / "history").write_text("==> 2024-02-06 <==\n")
    m = capture_environment(runner=LocalRunner(str(prefix / "bin" / "python"), cwd=str(tmp_path)), probes=False)
    assert m.python.env_kind == "conda"
    assert m.packages.conda_prefix == str(prefix)
    numpy = next(p for p in m.packages.conda if p.name == "numpy")
    assert (numpy.version, numpy.build, numpy.channel, numpy.subdir) == ("1.26.4", "py311h64a7726_0", "conda-forge", "linux-64")
    assert numpy.md5 == NUMPY["md5"] and numpy.sha256 == NUMPY["sha256"] and numpy.url == NUMPY["url"]
    assert [p.name for p in m.packages.conda] == ["numpy", "python"]
