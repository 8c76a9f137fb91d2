"""Rendering: Manifest + LockResult + RenderOptions -> BuildContext (pure), written atomically."""
from .base import choose_base, describe, local_default
from .context import render_context, write_context
from .model import BaseImage, BuildContext, PythonPlan, RenderOptions

__all__ = [
    "BaseImage",
    "BuildContext",
    "PythonPlan",
    "RenderOptions",
    "choose_base",
    "describe",
    "local_default",
    "render_context",
    "write_context",
]
