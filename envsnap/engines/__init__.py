"""Container engines behind one protocol (base.py); pick one by name with ``get_engine``."""
from .base import LABEL, BuiltImage, CapturedRun, ContainerEngine, GpuRequest, ImageInfo, Mount, RunResult, RunSpec
from .registry import engine_names, get_engine

__all__ = ["LABEL", "BuiltImage", "CapturedRun", "ContainerEngine", "GpuRequest", "ImageInfo", "Mount",
           "RunResult", "RunSpec", "engine_names", "get_engine"]
