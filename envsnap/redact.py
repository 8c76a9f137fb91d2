"""The one secret scrubber, applied to everything envsnap writes.

Secrets are recognised by the *name* they are stored under and by the *shape* of the value
(so a token pasted under an innocent name is still caught). A redacted value becomes a
marker ``<redacted:KEYID:DIGEST>``: DIGEST is an HMAC-SHA256 keyed with a per-user secret
kept outside every snapshot, so two manifests written with the same key compare equal or not
without revealing (or allowing a guess of) either value. An unkeyed hash would let short
secrets be guessed back, so none is ever stored.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

# Variables that decide numerics are never redacted, whatever their name looks like. The list
# lives with the agent (stdlib-only, it runs in the target), which also collects them.
from .agent.blas import NUMERICS_ENV_VARS

MARKER_RE = re.compile(r"<redacted:([0-9a-z]+):([0-9a-f]+)>")

_NAME_SUBSTRINGS = (
    "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "APIKEY", "API_KEY",
    "ACCESS_KEY", "ACCESSKEY", "PRIVATE", "COOKIE", "SESSION", "SIGNATURE", "CONNECTION_STRING",
    "CONNSTR", "AUTH",
)
_NAME_SEGMENTS = {"KEY", "PASS", "PWD", "PAT", "DSN", "SALT", "OTP", "PIN"}
_NAME_NOT_SECRET = {"PWD", "OLDPWD", "SSH_AUTH_SOCK", "XAUTHORITY", "ENVSNAP_REDACTION_KEY_FILE"}

# Value shapes of common secrets: cloud keys, VCS/hub/API tokens, JWTs, PEM blocks.
_SHAPES = [
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*-----|\Z)",
    r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b",
    r"\bgh[pousr]_[A-Za-z0-9]{30,}\b",
    r"\bgithub_pat_[A-Za-z0-9_]{22,}\b",
    r"\bglpat-[A-Za-z0-9_\-]{20,}\b",
    r"\bhf_[A-Za-z0-9]{30,}\b",
    r"\bsk-(?:proj-|ant-|live-)?[A-Za-z0-9_\-]{20,}\b",
    r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b",
    r"\bxox[abposr]-[A-Za-z0-9\-]{10,}\b",
    r"\bAIza[0-9A-Za-z_\-]{35}\b",
    r"\bya29\.[0-9A-Za-z_\-]{20,}\b",
    r"\bnpm_[A-Za-z0-9]{36}\b",
    r"\bpypi-[A-Za-z0-9_\-]{50,}\b",
    r"\bdckr_pat_[A-Za-z0-9_\-]{20,}\b",
    r"\bdapi[0-9a-f]{32}\b",
    r"\bSG\.[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{20,}\b",
    r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\b",
    # A 40-character mixed-case base64 run: AWS secret access keys and their kin. Hex digests
    # (git commits, sha1) are lower-case only and are not matched.
    # Paths (a leading '/', or three or more '/') are not keys.
    r"(?<![A-Za-z0-9/+=.\-_])(?!/)(?![A-Za-z0-9+]*/[A-Za-z0-9+]*/[A-Za-z0-9+]*/)"
    r"(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[0-9])"
    r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=.\-_])",
]
_SHAPE_RE = re.compile("|".join(f"(?:{s})" for s in _SHAPES), re.DOTALL)
# Authorization header values.
_AUTH_HEADER_RE = re.compile(r"\b(Bearer|Basic|Token)\s+([A-Za-z0-9._~+/=\-]{8,})")
# scheme://userinfo@host : the password (or a bare token user) is a secret.
_URL_USERINFO_RE = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://)([^/@\s:]*)(?::([^/@\s]*))?@")
# key=value pairs (query strings, connection strings, CLI args) whose key names a secret.
_KV_RE = re.compile(r"(?i)([A-Za-z0-9_.\-]*)(=)([^&;\s\"',]+)")


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    if upper in _NAME_NOT_SECRET or upper in NUMERICS_ENV_VARS:
        return False
    if any(s in upper for s in _NAME_SUBSTRINGS):
        return True
    segments = set(re.split(r"[_\-.]+", upper))
    return bool(segments & _NAME_SEGMENTS)


def _config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "envsnap"


@lru_cache(maxsize=1)
def _load_key() -> tuple[str, bytes]:
    """The per-user HMAC key: ENVSNAP_REDACTION_KEY (hex), else a 0600 key file, else ephemeral."""
    env = os.environ.get("ENVSNAP_REDACTION_KEY")
    if env:
        try:
            key = bytes.fromhex(env.strip())
        except ValueError:
            key = env.encode()
    else:
        path = Path(os.environ.get("ENVSNAP_REDACTION_KEY_FILE") or _config_dir() / "redaction.key")
        try:
            key = bytes.fromhex(path.read_text().strip())
        except (OSError, ValueError):
            key = secrets.token_bytes(32)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(key.hex())
            except OSError:
                return "ephemeral", key
    return hashlib.sha256(b"envsnap-key-id" + key).hexdigest()[:8], key


def marker(value: str) -> str:
    key_id, key = _load_key()
    digest = hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]
    return f"<redacted:{key_id}:{digest}>"


def is_marker(value: str) -> bool:
    return bool(MARKER_RE.fullmatch(value))


class Redactor:
    """Scrubs text and structures; remembers every secret it redacted so that the same
    value is also removed wherever else it appears (argv, logs, reports)."""

    def __init__(self, known_secrets: Iterable[str] = ()) -> None:
        self._known: set[str] = set()
        for s in known_secrets:
            self.remember(s)

    def remember(self, value: str) -> None:
        # Very short values (e.g. "1") would mangle unrelated text; they are still redacted
        # where they appear under a secret name.
        if value and len(value) >= 6 and not is_marker(value):
            self._known.add(value)

    def _redact(self, value: str) -> str:
        self.remember(value)
        return marker(value)

    def text(self, s: str) -> str:
        if not s:
            return s
        for known in sorted(self._known, key=len, reverse=True):
            if known in s:
                s = s.replace(known, marker(known))
        s = _SHAPE_RE.sub(lambda m: self._redact(m.group(0)), s)
        s = _AUTH_HEADER_RE.sub(lambda m: f"{m.group(1)} {self._redact(m.group(2))}", s)
        s = _URL_USERINFO_RE.sub(self._url_userinfo, s)
        s = _KV_RE.sub(self._kv, s)
        return s

    def _url_userinfo(self, m: "re.Match[str]") -> str:
        scheme, user, password = m.group(1), m.group(2), m.group(3)
        if user.startswith("<redacted") or (password or "").startswith("<redacted"):
            return m.group(0)
        if password is not None:
            return f"{scheme}{user}:{self._redact(password)}@"
        # A bare userinfo longer than a plausible login name is a token (https://TOKEN@host).
        if len(user) >= 20:
            return f"{scheme}{self._redact(user)}@"
        return m.group(0)

    def _kv(self, m: "re.Match[str]") -> str:
        key, value = m.group(1), m.group(3)
        if key and is_secret_name(key) and not value.startswith("<redacted"):
            return f"{key}={self._redact(value)}"
        return m.group(0)

    def env(self, env: Mapping[str, str]) -> Dict[str, str]:
        """Redact variables by name, then by value shape; keys sorted."""
        out: Dict[str, str] = {}
        for name in sorted(env):
            value = env[name]
            if is_secret_name(name) and value:
                out[name] = self._redact(value)
        for name in sorted(env):
            if name not in out:
                out[name] = self.text(env[name])
        return dict(sorted(out.items()))

    def argv(self, argv: Sequence[str]) -> List[str]:
        """Redact values of secret-named flags (``--token X``, ``--api-key=X``) and shapes."""
        out: List[str] = []
        redact_next = False
        for arg in argv:
            if redact_next:
                out.append(self._redact(arg))
                redact_next = False
                continue
            flag = re.fullmatch(r"-{1,2}([A-Za-z0-9_.\-]+)(?:=(.*))?", arg, re.DOTALL)
            if flag and is_secret_name(flag.group(1).replace("-", "_")):
                if flag.group(2) is not None:
                    out.append(f"{arg.split('=', 1)[0]}={self._redact(flag.group(2))}")
                else:
                    out.append(arg)
                    redact_next = True
                continue
            out.append(self.text(arg))
        return out

    def obj(self, value: Any, _key: Optional[str] = None) -> Any:
        """Scrub every string in a JSON-like structure; values under secret-named keys go whole."""
        if isinstance(value, str):
            if _key is not None and is_secret_name(_key) and value and not is_marker(value):
                return self._redact(value)
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.obj(v, k if isinstance(k, str) else None) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.obj(v) for v in value]
        return value


def scrub_text(s: str) -> str:
    return Redactor().text(s)
