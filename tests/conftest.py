
import pytest


@pytest.fixture(autouse=True)
def _redaction_key(tmp_path_factory, monkeypatch):
    """A fixed per-session HMAC key so tests never touch the user's ~/.config/envsnap."""
    key_file = tmp_path_factory.getbasetemp() / "redaction.key"
    if not key_file.exists():
        key_file.write_text("00" * 32)
    monkeypatch.setenv("ENVSNAP_REDACTION_KEY_FILE", str(key_file))
    monkeypatch.delenv("ENVSNAP_REDACTION_KEY", raising=False)
    from envsnap import redact

    redact._load_key.cache_clear()
    yield
    redact._load_key.cache_clear()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """envsnap's cache (locks, build contexts) per test session, never the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
