"""Planted secrets of every common kind, shared by the tests that prove none leaks.

All are syntactically valid but fake (made up for these tests)."""

SECRETS = {
    "aws_access_key_id": "AKIAZ7QXW3EXAMPLE4QK",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "github_pat": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "github_fine": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
    "gitlab": "glpat-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm",
    "huggingface": "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "openai": "sk-proj-" + "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6",
    "slack": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "stripe": "sk_live_" + "51H8xYzAbCdEfGhIjKlMn",
    "google_api": "AIza" + "SyD-1234567890abcdefghijklmnopqrstu",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq3XkzP\n-----END RSA PRIVATE KEY-----",
    "npm": "npm_" + "abcdefghijklmnopqrstuvwxyz0123456789",
    "short_password": "hunter2x",  # guessable: only ever stored as a keyed marker
}

# Secrets that only a name reveals (their values look like anything else).
NAMED_ONLY = {
    "DB_PASSWORD": "correcthorse",
    "MY_SERVICE_TOKEN": "plainvalue123",
    "WANDB_API_KEY": "0123456789abcdef0123456789abcdef01234567",
}


def planted_env() -> dict:
    env = {}
    for i, (kind, value) in enumerate(SECRETS.items()):
        if kind == "short_password":
            continue
        env[f"INNOCENT_{i}"] = value  # innocent names: caught by value shape
        env[f"{kind.upper()}_SECRET"] = value  # suspicious names
    env.update(NAMED_ONLY)
    env["PIP_INDEX_URL"] = f"https://alice:{SECRETS['short_password']}@pypi.internal.example/simple"
    env["DATABASE_URL"] = f"postgres://bob:{SECRETS['short_password']}@db.example:5432/x"
    env["PIP_EXTRA_INDEX_URL"] = f"https://{SECRETS['github_pat']}@pkgs.example/simple"
    return env


def all_secret_values() -> list:
    return list(SECRETS.values()) + list(NAMED_ONLY.values())
