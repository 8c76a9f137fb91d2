import json

import pytest

from envsnap.errors import InputError, OutputError
from envsnap.fsutil import write_text_atomic
from envsnap.manifest_io import dumps, load_manifest, save
from envsnap.model import SCHEMA_VERSION, EnvsnapInfo, Manifest


def _m(**kw):
    return Manifest(envsnap=EnvsnapInfo(version="0", created_at="2026-01-01T00:00:00Z"), **kw)


def test_roundtrip_and_deterministic(tmp_path):
    m = _m(env={"B": "2", "A": "1"})
    p = save(m, tmp_path / "m.json")
    assert load_manifest(p) == load_manifest(p)
    assert dumps(m) == dumps(load_manifest(p)) == p.read_text()
    assert list(json.loads(p.read_text())) == sorted(json.loads(p.read_text()))


@pytest.mark.parametrize("content, expect", [
    ("", "is empty"),
    ('{"schema_version": 1, "envsnap": {', "truncated"),
    ('{"hello": 1}', "not an envsnap manifest"),
    ('[1, 2]', "not an envsnap manifest"),
    ('{"schema_version": 99}', "newer than this envsnap"),
    ('{"schema_version": 1, "envsnap": {"version": "0"}}', "not a valid envsnap manifest"),
])
def test_bad_files_name_the_file(tmp_path, content, expect):
    p = tmp_path / "bad.json"
    p.write_text(content)
    with pytest.raises(InputError) as err:
        load_manifest(p)
    assert str(p) in err.value.message and expect in err.value.message


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    p = tmp_path / "m.json"
    p.write_text("old")
    import os

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OutputError):
        write_text_atomic(p, "new")
    assert p.read_text() == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["m.json"]  # no temp file left behind


def test_schema_version_constant():
    assert _m().schema_version == SCHEMA_VERSION
