"""Regenerate the committed JSON Schema of the manifest: ``python -m envsnap.schema``."""
import json
from pathlib import Path

from envsnap.model import Manifest

path = Path(__file__).with_name("manifest.schema.json")
path.write_text(json.dumps(Manifest.model_json_schema(), indent=2, sort_keys=True) + "\n")
print(f"wrote {path}")
