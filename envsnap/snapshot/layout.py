"""Every file name of a snapshot folder (``envsnap run``) and a replay folder (``envsnap
replay``): the one definition. A replay folder is laid out like a snapshot (so either can be
either side of ``envsnap diff``) plus the report, the build log and the workspace."""

MANIFEST = "manifest.json"  # the environment (a capture's default file is CAPTURE_FILE)
CAPTURE_FILE = "envsnap.json"  # `envsnap capture`'s default output; accepted where a manifest is
RUN = "run.json"  # the run record
LOG = "log.txt"  # the command's scrubbed output
OUTPUTS = "outputs"  # declared outputs, relative paths kept
METRICS = "metrics.jsonl"  # envsnap.log_metrics lines
CODE_DIR = "code"
PATCH = "code/patch.diff"  # inside git: the uncommitted changes against the commit
TARBALL = "code/worktree.tar.gz"  # outside git: the working tree
MARKER = ".envsnap-folder"  # written by envsnap: --force may replace this folder, nothing else

# Replay folders only.
REPORT_JSON = "report.json"
REPORT_MD = "report.md"
BUILD_LOG = "build.log"
WORKSPACE = "workspace"  # the restored code, mounted read-write into the container
SCRATCH = ".run"  # files the container writes for envsnap (metrics), removed on publish
SHIM = ".shim"  # the one-module envsnap package for environments without envsnap
