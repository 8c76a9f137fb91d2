"""Replay in a container on this host, through any ContainerEngine.

The command runs first and alone; the in-container capture (with probes) runs after it, in
the same image and environment, so nothing envsnap does competes with the replayed command
for CPU. Every container carries the replay's label; all are removed on the way out.
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

from ...engines.base import LABEL, ContainerEngine, RunSpec
from ...errors import EnvsnapError
from ...events import CommandOutput, EventSink, Stage
from ...model import Manifest
from ...redact import Redactor
from ..prepare import ReplayPlan
from .base import Execution


class LocalContainerTarget:
    name = "local"

    def __init__(self, engine: ContainerEngine, *, replay_id: str, labels: Mapping[str, str] = {},
                 probes: bool = True, envsnap_argv: Sequence[str] = (), redactor: Optional[Redactor] = None) -> None:
        self.engine = engine
        self.replay_id = replay_id
        self.labels = {LABEL: replay_id, **labels}
        self.probes = probes
        self.envsnap_argv = list(envsnap_argv)
        self.redactor = redactor or Redactor()

    def execute(self, plan: ReplayPlan, image: str, *, on_event: EventSink) -> Execution:
        try:
            on_event(Stage(f"running `{' '.join(plan.command)}` in {image}"))
            result = self.engine.run(
                RunSpec(image=image, command=plan.command, mounts=plan.train_mounts, env=plan.train_env,
                        user=plan.user, network=plan.network, workdir=plan.workdir, labels=self.labels,
                        name=f"envsnap-replay-{self.replay_id}", gpus=plan.gpu_request, timeout_s=plan.timeout_s),
                on_output=lambda line: on_event(CommandOutput(line)))
            if result.interrupted:
                return Execution(result, None, "interrupted before the environment was captured")
            on_event(Stage("capturing the container's environment" + (" with probes" if self.probes else "")))
            manifest, error = self._capture(plan, image)
            return Execution(result, manifest, error)
        finally:
            self.engine.remove_containers(f"{LABEL}={self.replay_id}")

    def _capture(self, plan: ReplayPlan, image: str) -> "tuple[Optional[Manifest], Optional[str]]":
        from ...capture import capture_environment
        from ..container import ContainerRunner

        runner = ContainerRunner(self.engine, image, env=plan.env, user=plan.user, network=plan.network,
                                 workdir=plan.workdir, labels=self.labels, mounts=plan.mounts)
        try:
            return capture_environment(runner=runner, probes=self.probes, argv=self.envsnap_argv,
                                       redactor=self.redactor), None
        except EnvsnapError as exc:
            return None, exc.message
        except Exception as exc:  # noqa: BLE001 - reported in the replay report, never fatal
            return None, f"{type(exc).__name__}: {exc}"
