"""Environment diff: walk two manifests field by field, classify and rank every difference.

The walk is generic (model_dump of both manifests), so a field added to the model later is
compared without touching this module; only *how* it is ranked may need a row in rules.py.
Lists of records are matched by a natural key (package name, probe id, GPU index), lists of
scalars as sets. Packages and probes are grouped into one difference per entity. Redacted
values (``<redacted:KEYID:DIGEST>``) are compared as opaque tokens and never displayed.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..model import Manifest
from ..redact import MARKER_RE
from .results import Difference, EnvDiff, Severity
from .rules import Change, categorize, measured_by, rank

# Natural keys of record lists, by schema path (bracket keys removed); else GENERIC_KEYS.
LIST_KEYS: Dict[str, Tuple[str, ...]] = {
    "packages.python": ("name",),
    "packages.conda": ("name",),
    "os.packages": ("name", "arch"),
    "nvidia.gpus": ("index",),
    "cuda.frameworks": ("framework",),
    "blas.libraries": ("internal_api", "prefix"),
    "probes.results": ("id",),
    "packages.python.hashes": ("algorithm", "source"),
}
GENERIC_KEYS = ("id", "name", "framework", "index", "filepath", "path")
NOISE_FIELDS = re.compile(r"^probes\.results\[[^\]]+\]\.ms$")
ARTIFACT_FIELDS = ("hashes", "wheel_tags", "direct_url", "source", "index_url", "editable", "build",
                   "md5", "sha256", "url", "channel", "subdir")
SHOW = 120  # characters of a displayed value
MAX_DETAILS = 8


@dataclass(frozen=True)
class RawChange:
    path: str  # display path: packages.python[torch].version
    a: Any
    b: Any
    change: str  # added / removed / changed


def _key_fields(schema: str, items: List[Any]) -> Optional[Tuple[str, ...]]:
    if not items or not all(isinstance(x, dict) for x in items):
        return None
    candidates = [LIST_KEYS[schema]] if schema in LIST_KEYS else [(k,) for k in GENERIC_KEYS]
    for fields in candidates:
        keys = [_key(x, fields) for x in items]
        if all(k is not None for k in keys):
            return fields
    return None


def _key(item: Dict[str, Any], fields: Tuple[str, ...]) -> Optional[str]:
    parts = [item.get(f) for f in fields]
    if parts[0] is None:
        return None
    return ":".join(str(p) for p in parts if p is not None)


def _unique(items: List[Any], fields: Tuple[str, ...]) -> bool:
    keys = [_key(x, fields) for x in items]
    return len(set(keys)) == len(keys)


def walk(a: Any, b: Any, path: str = "", schema: str = "", out: Optional[List[RawChange]] = None) -> List[RawChange]:
    out = [] if out is None else out
    if a == b and type(a) is type(b):
        return out
    join = (lambda k: f"{path}.{k}" if path else str(k))
    sjoin = (lambda k: f"{schema}.{k}" if schema else str(k))
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in b:
                out.append(RawChange(join(k), a[k], None, "removed"))
            elif k not in a:
                out.append(RawChange(join(k), None, b[k], "added"))
            else:
                walk(a[k], b[k], join(k), sjoin(k), out)
        return out
    if isinstance(a, list) and isinstance(b, list):
        fields = _key_fields(schema, a + b)
        if fields and _unique(a, fields) and _unique(b, fields):
            ma = {_key(x, fields): x for x in a}
            mb = {_key(x, fields): x for x in b}
            for k in sorted(set(ma) | set(mb), key=str):
                p = f"{path}[{k}]"
                if k not in mb:
                    out.append(RawChange(p, ma[k], None, "removed"))
                elif k not in ma:
                    out.append(RawChange(p, None, mb[k], "added"))
                else:
                    walk(ma[k], mb[k], p, schema, out)
        elif all(not isinstance(x, (dict, list)) for x in a + b):
            sa, sb = {json.dumps(x) for x in a}, {json.dumps(x) for x in b}
            for x in sorted(sa - sb):
                out.append(RawChange(f"{path}[{json.loads(x)}]", json.loads(x), None, "removed"))
            for x in sorted(sb - sa):
                out.append(RawChange(f"{path}[{json.loads(x)}]", None, json.loads(x), "added"))
            if sa == sb and a != b:
                out.append(RawChange(f"{path}", "order", "order", "changed"))
        else:
            for i in range(max(len(a), len(b))):
                if i >= len(b):
                    out.append(RawChange(f"{path}[{i}]", a[i], None, "removed"))
                elif i >= len(a):
                    out.append(RawChange(f"{path}[{i}]", None, b[i], "added"))
                else:
                    walk(a[i], b[i], f"{path}[{i}]", schema, out)
        return out
    out.append(RawChange(path, a, b, "changed"))
    return out


# --- display -------------------------------------------------------------------------------

def show(v: Any) -> Optional[str]:
    """A short readable value; redaction markers never leave this function."""
    if v is None:
        return None
    if isinstance(v, dict):
        summary = [str(v[k]) for k in ("name", "framework", "internal_api", "version", "num_threads", "compute_capability")
                   if v.get(k) is not None]
        text = " ".join(summary) if summary else json.dumps(v, sort_keys=True)
    elif isinstance(v, str):
        text = v
    else:
        text = json.dumps(v, sort_keys=True)
    text = MARKER_RE.sub("<redacted>", text)
    return text if len(text) <= SHOW else text[: SHOW - 1] + "…"


def _redaction_note(a: Any, b: Any) -> Optional[str]:
    ma = MARKER_RE.findall(a) if isinstance(a, str) else []
    mb = MARKER_RE.findall(b) if isinstance(b, str) else []
    if not ma and not mb:
        return None
    if ma and mb and {k for k, _ in ma} != {k for k, _ in mb}:
        return "redacted with different keys: cannot tell whether the secret values differ"
    if ma and mb and ma != mb:
        return "redacted values differ (values not shown)"
    return "differs in redacted or surrounding text (secret values not shown)"


# --- grouping of packages and probes into entities -----------------------------------------

_PKG = re.compile(r"^packages\.(python|conda)\[([^\]]+)\](.*)$")
_PROBE = re.compile(r"^probes\.results\[([^\]]+)\](.*)$")


def _field(rest: str) -> str:
    return re.split(r"[.\[]", rest.lstrip("."), maxsplit=1)[0]


def _native(m: Manifest, kind: str, name: str) -> bool:
    if kind == "conda":
        pkg = next((p for p in m.packages.conda if p.name == name), None)
        return bool(pkg and pkg.build and not pkg.build.startswith("py"))
    p = m.package(name)
    return bool(p and any(not t.endswith("-none-any") for t in p.wheel_tags))


def _package_change(kind: str, name: str, group: List[RawChange], ma: Manifest, mb: Manifest) -> Tuple[Change, str, List[str]]:
    native = _native(ma, kind, name) or _native(mb, kind, name)
    path = f"packages.{kind}[{name}]"
    entity = next((c for c in group if c.path == path), None)
    if entity is not None:
        cat = "package.added" if entity.change == "added" else "package.removed"
        c = Change(cat, name, show(entity.a.get("version")) if entity.a else None,
                   show(entity.b.get("version")) if entity.b else None, native)
        return c, path, []
    fields = {_field(c.path[len(path):]): c for c in group}
    details = [f"{c.path[len(path) + 1:]}: {show(c.a)} -> {show(c.b)}" for c in group]
    if "version" in fields:
        v = fields["version"]
        return Change("package.version", name, show(v.a), show(v.b), native), path + ".version", details
    if any(f in fields for f in ARTIFACT_FIELDS):
        return Change("package.artifact", name, "artifact A", "artifact B", native), path, details
    return Change("package.meta", name, None, None, native), path, details


def _probe_change(pid: str, group: List[RawChange]) -> Tuple[Change, str, List[str], Optional[str]]:
    path = f"probes.results[{pid}]"
    entity = next((c for c in group if c.path == path), None)
    if entity is not None:
        side = "A" if entity.change == "removed" else "B"
        c = Change("probe.status", pid, show((entity.a or {}).get("status")), show((entity.b or {}).get("status")))
        return c, path, [], f"{pid}: measured in {side} only"
    fields = {_field(c.path[len(path):]): c for c in group}
    details = [f"{c.path[len(path) + 1:]}: {show(c.a)} -> {show(c.b)}" for c in group]
    if "value" in fields:
        v = fields["value"]
        return Change("probe.value", pid, show(v.a), show(v.b)), path + ".value", details, f"{pid}: {show(v.a)} -> {show(v.b)}"
    if "fingerprint" in fields:
        v = fields["fingerprint"]
        a, b = (show(v.a) or "-")[:16], (show(v.b) or "-")[:16]
        return Change("probe.fingerprint", pid, a, b), path + ".fingerprint", details, f"{pid}: fingerprint {a} -> {b}"
    if "stable" in fields:
        v = fields["stable"]
        return Change("probe.stable", pid, show(v.a), show(v.b)), path + ".stable", details, f"{pid}: stable {show(v.a)} -> {show(v.b)}"
    if "status" in fields:
        v = fields["status"]
        return Change("probe.status", pid, show(v.a), show(v.b)), path + ".status", details, f"{pid}: status {show(v.a)} -> {show(v.b)}"
    return Change("probe.meta", pid, None, None), path, details, None


def diff_manifests(a: Manifest, b: Manifest, *, a_label: str = "A", b_label: str = "B") -> EnvDiff:
    raw = walk(a.model_dump(mode="json"), b.model_dump(mode="json"))
    diffs: List[Difference] = []
    evidence: List[str] = []
    noise: List[str] = []
    packages: Dict[Tuple[str, str], List[RawChange]] = {}
    probes: Dict[str, List[RawChange]] = {}
    pending: List[Tuple[Change, str, str, List[str]]] = []
    for rc in raw:
        if NOISE_FIELDS.match(rc.path):
            noise.append(rc.path)
            continue
        m = _PKG.match(rc.path)
        if m:
            packages.setdefault((m.group(1), m.group(2)), []).append(rc)
            continue
        m = _PROBE.match(rc.path)
        if m:
            probes.setdefault(m.group(1), []).append(rc)
            continue
        category, subject = categorize(rc.path)
        if category == "noise":
            noise.append(rc.path)
            continue
        c = Change(category, subject, show(rc.a), show(rc.b))
        note = _redaction_note(rc.a, rc.b)
        pending.append((c, rc.path, rc.change, [note] if note else []))
    for (kind, name), group in packages.items():
        c, path, details = _package_change(kind, name, group, a, b)
        change = "added" if c.category == "package.added" else "removed" if c.category == "package.removed" else "changed"
        pending.append((c, path, change, details))
    changed_probes: List[str] = []
    for pid, group in probes.items():
        c, path, details, line = _probe_change(pid, group)
        change = next((g.change for g in group if g.path == f"probes.results[{pid}]"), "changed")
        diffs.append(_difference(c, path, change, details))
        if line:
            evidence.append(line)
        if c.category in ("probe.value", "probe.fingerprint"):
            changed_probes.append(pid)
    # Configuration differences whose effect a probe measured are confirmed by that evidence.
    for c, path, change, details in pending:
        confirmed = sorted(pid for pid in changed_probes if measured_by(pid, c))
        diffs.append(_difference(c, path, change, details, confirmed))
    diffs.sort(key=_order)
    return EnvDiff(a=a_label, b=b_label, differences=diffs, evidence=sorted(evidence), noise=sorted(noise))


# Among equally severe differences: settings and packages (what a user changes) before derived
# state (the BLAS kernel threadpoolctl reports, the CPU), and probes (measured effects) last.
_CAUSE_TIER = (("numerics.env", "numerics.flag", "env", "package."), ("code",), ())


def _order(d: Difference) -> Tuple[int, int, int, int, str, str]:
    is_probe = d.category.startswith("probe")
    confirmed = any(line.startswith(CONFIRMED) for line in d.details)
    tier = next(i for i, prefixes in enumerate(_CAUSE_TIER) if not prefixes or d.category.startswith(prefixes))
    return (d.severity.rank, int(is_probe), int(not confirmed), tier, d.category, d.subject + d.path)


CONFIRMED = "confirmed by probe"


def _difference(c: Change, path: str, change: str, details: List[str], confirmed: Sequence[str] = ()) -> Difference:
    rule = rank(c)
    severity, reason = rule.severity, rule.reason
    if confirmed and rule.severity != Severity.NEGLIGIBLE:
        severity = Severity.CRITICAL
        reason = f"{rule.reason}; a probe that measures it changed"
        details = [f"{CONFIRMED} {', '.join(confirmed)}"] + details
    subject = c.subject if c.category.startswith(("package", "probe")) or c.subject == path else f"{c.category} {c.subject}"
    extra = [] if len(details) <= MAX_DETAILS else [f"... and {len(details) - MAX_DETAILS} more"]
    return Difference(rule=rule.id, severity=severity, category=c.category, subject=subject, path=path,
                      change=change, a=c.a, b=c.b, reason=reason,  # type: ignore[arg-type]
                      details=details[:MAX_DETAILS] + extra)


__all__ = ["diff_manifests", "walk", "Severity"]
