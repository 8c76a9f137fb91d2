"""Package-name normalization (PEP 503), shared by capture, lock and diff."""
import re

_RE = re.compile(r"[-_.]+")


def normalize(name: str) -> str:
    return _RE.sub("-", name).lower()
