"""Line-independent, count-aware fingerprints: the identity a baseline entry is matched on."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable

from .finding import Finding

_SPACE = re.compile(r"\s+")


def normalise_code(text: str) -> str:
    """Code context with whitespace folded, so re-indenting or re-wrapping keeps identity."""
    return _SPACE.sub(" ", text).strip()


def digest(*parts: str) -> str:
    """A short stable hash of the identity parts (not a secret: nothing here is sensitive)."""
    joined = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(joined).hexdigest()[:24]


def assign(findings: Iterable[Finding]) -> list[Finding]:
    """Give each finding its fingerprint, numbering identical identities in a stable order.

    Identical findings (same scanner, rule and identity) are numbered by position, so a
    second copy of an accepted finding gets a new fingerprint and deleting one of two
    copies leaves exactly one baseline entry unmatched.
    """
    ordered = sorted(findings, key=_position)
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    result = []
    for finding in ordered:
        key = (finding.scanner, finding.rule, finding.identity)
        occurrence = seen[key]
        seen[key] += 1
        fingerprint = digest(finding.scanner, finding.rule, finding.identity, str(occurrence))
        result.append(dataclasses.replace(finding, fingerprint=fingerprint))
    return result


def _position(finding: Finding) -> tuple[str, str, int, int, str, str]:
    loc = finding.location
    return (loc.path, loc.url, loc.line, loc.column, finding.rule, finding.identity)
