"""Paths inside envsnap's images and replay containers: the one definition, used by the
templates, the build pipeline and replay."""

WORKDIR = "/workspace"  # the image's WORKDIR; a replay restores the recorded code here
ETC_DIR = "/etc/envsnap"  # manifest.json, the locks and apt-mismatch.txt inside the image
APT_MISMATCH = f"{ETC_DIR}/apt-mismatch.txt"  # system packages the archive no longer had
DEFAULT_VENV = "/opt/envsnap/venv"  # the environment, unless the captured venv had a usable path
AGENT_DIR = "/opt/envsnap-agent"  # the stdlib-only capture agent, mounted read-only
RUN_DIR = "/opt/envsnap-run"  # per-run files the command writes for envsnap (metrics.jsonl)
SHIM_DIR = "/opt/envsnap-shim"  # the one-module `envsnap` package for images without envsnap
IMAGE_USER = "envsnap"
IMAGE_UID = 1000
