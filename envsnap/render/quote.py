"""Quoting ENV/LABEL values so Docker (and dockerfile-parse) read back exactly the original.

Single quotes are literal in Docker's word lexer (no ``$`` expansion, no escapes), so a value
becomes ``'...'``; a single quote itself is written unquoted as ``\\'``. A Dockerfile line cannot
hold a line break at all (continuation removes it), so each line-breaking character is written
as ``"${ENVSNAP_CHAR_XXXX}"``, a build argument whose value is that character: the engine passes
it on every build (BuildContext.build_args).
"""
from __future__ import annotations

from typing import Dict, Tuple

# Characters that end a line for Docker's scanner or for Python's str.splitlines().
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def arg_name(ch: str) -> str:
    return f"ENVSNAP_CHAR_{ord(ch):04X}"


def quote_value(value: str) -> Tuple[str, Dict[str, str]]:
    """Return (Dockerfile word, build args it needs)."""
    if "\x00" in value:
        raise ValueError("a NUL character cannot be stored in an image's ENV or LABEL")
    parts = []
    args: Dict[str, str] = {}
    buf: list = []

    def flush() -> None:
        if buf:
            parts.append("'" + "".join(buf) + "'")
            buf.clear()

    for ch in value:
        if ch == "'":
            flush()
            parts.append("\\'")
        elif ch in LINE_BREAKS:
            flush()
            args[arg_name(ch)] = ch
            parts.append('"${%s}"' % arg_name(ch))
        else:
            buf.append(ch)
    flush()
    return ("".join(parts) or "''"), args
