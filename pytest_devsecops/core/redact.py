"""Mask secrets in any text we print, store or send: tool output, titles, snippets."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
_PATTERNS = (
    # key = value / key: value where the key names a credential
    re.compile(
        r"(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|apikey|auth|credential)"
        r"[\w-]*[\"']?\s*[:=]\s*)([\"']?)([^\s\"',;]+)"
    ),
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),  # GitHub tokens
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),  # Slack tokens
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
)
_STRING_LITERAL = re.compile(r"""(?P<q>[rRbBuUfF]{0,2}(?:'''|\"\"\"|'|"))(?P<body>.*?)(?P=q)""")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
# Bidirectional overrides and isolates make text display in another order than it is stored.
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """Replace credential-looking values and any of the `extra` literal secrets with ***."""
    for secret in extra:
        if secret:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        if pattern.groups >= 3:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
        else:
            text = pattern.sub(MASK, text)
    return text


def mask_string_literals(code: str) -> str:
    """Replace every quoted string in a code line with ***, for rules that flag secrets."""
    return _STRING_LITERAL.sub(lambda m: f"{m.group('q')}{MASK}{m.group('q')[-1]}", code)


def printable(text: str) -> str:
    """Neutralise terminal escapes and control characters so output cannot rewrite the screen."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def tail(text: str, lines: int = 15) -> str:
    """The last few lines of a tool's output, redacted, for an error message."""
    kept = text.strip().splitlines()[-lines:]
    return printable(redact("\n".join(kept)))
