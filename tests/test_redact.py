import hashlib

import pytest

from envsnap.redact import Redactor, is_marker, is_secret_name, marker

from tests.secrets import NAMED_ONLY, SECRETS, all_secret_values, planted_env


def _leaks(text: str) -> list:
    return [s for s in all_secret_values() if s in text]


def test_env_redacts_by_name_and_by_shape():
    out = Redactor().env(planted_env())
    assert _leaks(repr(out)) == []
    for name in NAMED_ONLY:
        assert is_marker(out[name])
    # A URL keeps its shape; only the credential goes.
    assert out["PIP_INDEX_URL"].startswith("https://alice:<redacted:") and out["PIP_INDEX_URL"].endswith("@pypi.internal.example/simple")


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_each_shape_caught_inside_free_text(kind):
    text = f"starting job with {SECRETS[kind]} as the credential; done"
    if kind == "short_password":
        text = f"connect https://u:{SECRETS[kind]}@host/x"
    scrubbed = Redactor().text(text)
    assert SECRETS[kind] not in scrubbed
    assert "<redacted:" in scrubbed


def test_known_secret_removed_everywhere_after_seen_once():
    r = Redactor()
    r.env({"MY_SERVICE_TOKEN": "plainvalue123"})
    assert "plainvalue123" not in r.text("python train.py --x plainvalue123")


def test_argv_flags():
    r = Redactor()
    out = r.argv(["train.py", "--token", "abcdef1", "--api-key=zzz9999", "--lr", "0.1", "--password", "pw123456"])
    assert out[:2] == ["train.py", "--token"] and is_marker(out[2])
    assert out[3].startswith("--api-key=<redacted:")
    assert out[4:6] == ["--lr", "0.1"]
    assert "pw123456" not in " ".join(out)


def test_not_secret_left_alone():
    r = Redactor()
    env = {"PATH": "/usr/local/bin:/usr/bin", "PWD": "/work", "OMP_NUM_THREADS": "4",
           "GIT_COMMIT": "0123456789abcdef0123456789abcdef01234567", "HOME": "/root",
           "LD_LIBRARY_PATH": "/opt/Something/Lib64/python3/site/pkgs1:/usr/lib"}
    assert r.env(env) == dict(sorted(env.items()))
    assert not is_secret_name("SSH_AUTH_SOCK") and not is_secret_name("PYTHONHASHSEED")
    assert is_secret_name("aws_secret_access_key") and is_secret_name("HF_TOKEN") and is_secret_name("SSH_KEY")


def test_markers_compare_without_revealing():
    a, b = marker("hunter2x"), marker("hunter2x")
    assert a == b and marker("hunter3x") != a
    # Keyed, never a bare hash that could be guessed back from a short secret.
    assert hashlib.sha256(b"hunter2x").hexdigest()[:16] not in a


def test_idempotent():
    r = Redactor()
    once = r.text(f"x {SECRETS['github_pat']} y https://u:pw123456@h/")
    assert r.text(once) == once
    assert r.obj({"k": once}) == {"k": once}
