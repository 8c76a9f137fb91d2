"""An AgentRunner that runs envsnap's agent inside the replay image, so the replay's manifest
(probes included) describes the container the training ran in, not the host."""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

from ..agent_runtime import AgentOutput, build_agent_dir
from ..build import paths
from ..engines.base import ContainerEngine, Mount, RunSpec
from ..errors import InterpreterError


class ContainerRunner:
    def __init__(self, engine: ContainerEngine, image: str, *, python: str = "python",
                 env: Optional[Mapping[str, str]] = None, user: Optional[str] = None, network: Optional[str] = None,
                 workdir: Optional[str] = None, labels: Optional[Mapping[str, str]] = None,
                 mounts: Sequence[Mount] = ()) -> None:
        self.engine, self.image, self.python = engine, image, python
        self.env, self.user, self.network, self.workdir = dict(env or {}), user, network, workdir
        self.labels = dict(labels or {})
        self.mounts = (Mount(str(build_agent_dir()), paths.AGENT_DIR, read_only=True), *mounts)

    @property
    def description(self) -> str:
        return f"{self.python} in {self.image}"

    def __call__(self, args: Sequence[str], *, timeout: float) -> AgentOutput:
        res = self.engine.run_captured(RunSpec(
            image=self.image, command=(self.python, paths.AGENT_DIR, *args), mounts=self.mounts, env=self.env,
            user=self.user, network=self.network, timeout_s=timeout, workdir=self.workdir, labels=self.labels,
        ))
        if res.exit_code is None:
            raise InterpreterError(f"{self.description}: the envsnap agent did not finish within {timeout:.0f} s")
        return AgentOutput(res.exit_code, res.stdout, res.stderr)
