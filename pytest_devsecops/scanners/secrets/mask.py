"""Masked forms of a secret for people (`AKIA…(20 chars)`) and a slow salted KDF for identity."""

from __future__ import annotations

import hashlib

from ...core.redact import printable
from .model import PRIVATE_KEY, Candidate, public_prefix

# scrypt at n=2**14, r=8: about 16 MiB and tens of milliseconds per guess, per salt, for anyone
# who would brute-force a baselined secret; cheap for the handful of findings a tree holds.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 16, "maxmem": 64 * 1024 * 1024}


def mask(value: str) -> str:
    """Only a public kind prefix and the length: `AKIA…(20 chars)`, `…(12 chars)`."""
    return f"{public_prefix(value)}…({len(value)} chars)"


def masked_line(candidate: Candidate) -> str:
    """The source line with the secret replaced by its masked form (safe to print and store)."""
    if candidate.kind == PRIVATE_KEY:
        header = candidate.line_text.strip().splitlines()[0] if candidate.line_text.strip() else ""
        header = header if header.startswith("-----BEGIN") else "-----BEGIN PRIVATE KEY-----"
        return printable(f"{header} {mask(candidate.value)}")
    line = candidate.line_text.rstrip("\r\n")
    if candidate.value and candidate.value in line:
        line = line.replace(candidate.value, mask(candidate.value))
    else:
        # The value is not verbatim on the line (escapes, a wrapped token): show none of it.
        line = f"{line[: _indent(line)]}… secret on this line …({len(candidate.value)} chars)"
    return printable(line.strip())


def secret_kdf(value: str, salt: str) -> str:
    """A slow, salted hash of the value: tells a rotated secret from the accepted one."""
    salt_bytes = hashlib.sha256(salt.encode("utf-8", "surrogatepass")).digest()
    derived = hashlib.scrypt(value.encode("utf-8", "surrogatepass"), salt=salt_bytes, **_SCRYPT)
    return derived.hex()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
