"""Merge the engines' hits on one line and secret into one finding, masked and KDF-identified."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ...core.finding import Finding, Location
from ...core.fingerprint import normalise_code
from ...core.redact import printable
from .mask import mask, masked_line, secret_kdf
from .model import Candidate, severity_of, specificity, title_of

_ENGINE_ORDER = {"trivy": 0, "ours": 1, "detect-secrets": 2}
_REMEDIATION = (
    "Revoke and rotate this credential at its issuer, then read it at run time (environment, "
    "secret store) instead of committing it. If it is a test fixture's fake value, accept it "
    "in the baseline with that reason."
)
_HISTORY_REMEDIATION = (
    "This secret was committed and is still in the history, whatever the current files say: "
    "rotate it (rewriting history does not un-leak a pushed secret)."
)


def merge(candidates: Iterable[Candidate]) -> list[list[Candidate]]:
    """Group hits on the same line whose values overlap (one engine's match within another's)."""
    ranked = sorted(
        candidates,
        key=lambda c: (-specificity(c.kind), _ENGINE_ORDER.get(c.engine, 9), -len(c.value)),
    )
    groups: dict[tuple[str, str, int], list[list[Candidate]]] = defaultdict(list)
    for candidate in ranked:
        same_line = groups[(candidate.path, candidate.commit, candidate.line)]
        for group in same_line:
            if _overlap(group[0].value, candidate.value):
                group.append(candidate)
                break
        else:
            same_line.append([candidate])
    return [group for key in sorted(groups) for group in groups[key]]


def build(group: list[Candidate], scanner: str) -> Finding:
    """One finding for a merged group; nothing in it holds the secret's value."""
    primary = group[0]
    value = primary.value
    kind = primary.kind
    values = {c.value for c in group}
    shown = _scrub(masked_line(primary), values)
    in_history = bool(primary.commit)
    path = printable(primary.path)
    where = f"{path}@{primary.commit}" if in_history else path
    salt = _salt(primary.path, kind, shown)
    marker = f"history\x1f{primary.commit}\x1f" if in_history else ""
    identity = f"{marker}{primary.path}\x1f{normalise_code(shown)}\x1f{secret_kdf(value, salt)}"
    engines = ", ".join(dict.fromkeys(f"{c.engine} ({printable(c.engine_rule)})" for c in group))
    named = next((c.title for c in group if c.kind == kind and c.title), "")
    title = f"{printable(title_of(kind, named))}: {mask(value)}"
    details = [("found by", engines)]
    if in_history:
        title += " still in history: rotate it"
        details.append(("commit", primary.commit))
    severity = max(severity_of(c.kind) for c in group)
    return Finding(
        scanner=scanner,
        rule=kind,
        title=title,
        severity=severity,
        location=Location(path=primary.path, line=primary.line),
        identity=identity,
        confidence="high" if specificity(kind) >= 3 else "medium",
        cwe=798,
        snippet=shown,
        remediation=_HISTORY_REMEDIATION if in_history else _REMEDIATION,
        label=f"{where}:{primary.line}",
        details=tuple(details),
    )


def holds(finding: Finding, value: str) -> bool:
    """Whether `finding` (of the work tree) is about `value`, told by its KDF: no value kept.

    Only findings with the same masked form (public prefix and length) cost a KDF run.
    """
    if not finding.title.endswith(f": {mask(value)}"):
        return False
    salt = _salt(finding.location.path, finding.rule, finding.snippet)
    return finding.identity.rsplit("\x1f", 1)[-1] == secret_kdf(value, salt)


def _salt(path: str, kind: str, shown: str) -> str:
    return "\x1f".join((path, kind, normalise_code(shown)))


def _overlap(first: str, second: str) -> bool:
    return bool(first and second) and (first in second or second in first)


def _scrub(text: str, values: set[str]) -> str:
    """Belt and braces: any other copy of the value on the line is masked too."""
    for value in sorted(values, key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, mask(value))
    return text
