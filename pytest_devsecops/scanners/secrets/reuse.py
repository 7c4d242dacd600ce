"""What the secrets scanner keeps per file between runs: built findings, never a secret."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ...core.finding import Finding

_PACKAGE = Path(__file__).parent


def key(engines: tuple[str, ...], trivy: Path | None, detect_secrets: str) -> dict[str, object]:
    """Everything a file's result depends on besides its bytes and its path.

    trivy is named by its binary's identity (path, size, change time): its version is only
    known by starting it, which an unchanged rerun must not do; a new binary is a new key.
    Our own detector, filters, masks and KDF are named by their source's digest, so an edit
    during development invalidates as surely as a release does.
    """
    return {
        "engines": list(engines),
        "trivy": _binary(trivy) if "trivy" in engines else "",
        "detect-secrets": detect_secrets,
        "ours": _source_digest(),
    }


def entry(findings: Iterable[Finding], dismissed: Mapping[str, int]) -> dict[str, Any]:
    """One file's cache entry: masked, KDF-identified findings and the look-alike counts."""
    return {"findings": [f.to_dict() for f in findings], "dismissed": dict(dismissed)}


def unpack(value: object) -> tuple[list[Finding], Counter[str]] | None:
    """The findings and dismissal counts of an entry, or None when it does not read back."""
    if not isinstance(value, dict):
        return None
    try:
        findings = [Finding.from_dict(item) for item in value["findings"]]
        dismissed = Counter({str(k): int(v) for k, v in dict(value["dismissed"]).items()})
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return findings, dismissed


def _binary(path: Path | None) -> list[object]:
    if path is None:
        return []
    try:
        real = path.resolve()
        info = os.stat(real)
    except OSError:
        return [str(path)]
    return [str(real), info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def _source_digest() -> str:
    digest = hashlib.sha256()
    core = _PACKAGE.parent.parent / "core"
    # This package, and the core helpers that shape a finding (masking, normalised lines).
    sources = [*sorted(_PACKAGE.glob("*.py")), core / "fingerprint.py", core / "redact.py"]
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()
