"""The in-environment agent: stdlib-only code that runs inside the *target* interpreter.

It is shipped to that interpreter (a venv, a conda env, a container's python) as a directory
built by :mod:`envsnap.agent_runtime`, so the target needs no envsnap installed. Everything
here must run on Python >= 3.8 with nothing but the standard library; optional helpers
(threadpoolctl, pynvml) are bundled in ``_vendor`` by that builder. It prints raw JSON;
the host side validates, redacts and types it.
"""

OLDEST_PYTHON = (3, 8)  # the oldest interpreter the agent supports (tests/agent/test_stdlib_only.py)
