"""What a lock depends on, as one digest (the lock cache key and the lock files' identity)."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Dict

from ..model import Manifest

KEY_VERSION = 1  # bump when locking changes what it writes


def lock_key(manifest: Manifest, *, wheelhouse: bool, options: Dict[str, Any] | None = None) -> str:
    """sha256 over everything a lock reads from the manifest, and the lock options."""
    py = manifest.python
    deps = {
        "v": KEY_VERSION,
        "python": [py.version, py.implementation, py.tags, py.pip_config.model_dump(mode="json")],
        "packages": [p.model_dump(mode="json", exclude={"location", "requested"}) for p in manifest.packages.python],
        "conda": [p.model_dump(mode="json") for p in manifest.packages.conda],
        "arch": manifest.host.arch,
        "wheelhouse": wheelhouse,
        "options": options or {},
    }
    return hashlib.sha256(json.dumps(deps, sort_keys=True).encode()).hexdigest()
