"""Engines by name (``--engine docker``): the one place that knows which modules implement
the ContainerEngine protocol. Each is imported only when asked for, so the docker SDK is
loaded only by commands that talk to Docker."""
from __future__ import annotations

import importlib
import os
from typing import Callable, Dict, List

from ..errors import UsageError
from .base import ContainerEngine

DEFAULT = "docker"
ENV_VAR = "ENVSNAP_ENGINE"  # the default engine when --engine is not given

# name -> "module:factory"; a new engine is one new module and one line here.
_ENGINES: Dict[str, str] = {
    "docker": "envsnap.engines.docker:DockerEngine",
}


def engine_names() -> List[str]:
    return sorted(_ENGINES)


def default_engine_name() -> str:
    return os.environ.get(ENV_VAR) or DEFAULT


def get_engine(name: str | None = None) -> ContainerEngine:
    """Connect to the engine ``name`` (default: $ENVSNAP_ENGINE, else docker)."""
    name = name or default_engine_name()
    target = _ENGINES.get(name)
    if target is None:
        raise UsageError(f"--engine {name!r}: unknown engine (known: {', '.join(engine_names())})")
    module, _, attr = target.partition(":")
    factory: Callable[[], ContainerEngine] = getattr(importlib.import_module(module), attr)
    return factory()
