"""Docker engine access. Only envsnap.engine.docker_engine imports `docker` (loaded lazily)."""
from .build import BuildResult, build, default_tag

__all__ = ["BuildResult", "build", "default_tag"]
