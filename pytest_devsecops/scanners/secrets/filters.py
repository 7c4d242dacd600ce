"""Precision: drop what a reviewer would dismiss (lookups, placeholders, dummies, pins, ids)."""

from __future__ import annotations

import re

from .model import GENERIC, HIGH_ENTROPY, PRIVATE_KEY, Candidate

# A value read at run time (environment, secret store, settings object), not written down.
_LOOKUP = re.compile(
    r"^(?:os\.|env\b|env\(|environ|getenv|process\.env|ENV\[|secrets?\.|vault|keyring|config\(|"
    r"settings\.|System\.getenv|\$)",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"\$\{[^}]*\}|\$\(|\{\{.*?\}\}|\{%|<[^<>\s]+>|%\([\w.-]+|%s|\{[\w.]*\}|^__\w+__$|\*{3,}"
)
_DUMMY_WORDS = re.compile(
    r"example|dummy|changeme|change[-_]me|placeholder|your[-_ ]?(?:own|api|secret|token|key|pass)|"
    r"fake|redacted|sample|insert[-_]|replace[-_]?me|lorem|notasecret|not[-_]a[-_]secret",
    re.IGNORECASE,
)
_DUMMY_VALUES = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "secret",
        "secrets",
        "token",
        "apikey",
        "api_key",
        "key",
        "test",
        "testing",
        "tests",
        "none",
        "null",
        "nil",
        "true",
        "false",
        "undefined",
        "empty",
        "default",
        "admin",
        "root",
        "user",
        "username",
        "guest",
        "demo",
        "todo",
        "tbd",
        "fixme",
        "mypassword",
        "mysecret",
        "secret_key",
        "password123",
        "pwd",
        "foo",
        "bar",
        "baz",
        "foobar",
        "qwerty",
        "letmein",
        "abc123",
        "123456",
        "1234567",
        "12345678",
        "s3cr3t",
        "hunter2",
        "xxx",
    }
)
_REPEATED = re.compile(r"^(.)\1*$|^(..)\2+$|^(?:abc|123|0123|1234)")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_HASH_PIN = re.compile(r"--hash[= ]|\b(?:md5|sha1|sha224|sha256|sha384|sha512)[:=]", re.I)
_SRI = re.compile(r"\bintegrity\s*[=:]|^sha(?:256|384|512)-[A-Za-z0-9+/]+={0,2}$", re.I)
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w=.-]+)*;base64,", re.I)
_HEX_DIGEST = re.compile(r"^[0-9a-f]{32}$|^[0-9a-f]{40}$|^[0-9a-f]{64}$|^[0-9a-f]{128}$", re.I)
# Names that hold something about a secret, not the secret: a URL, a path, a field name, a length.
NOT_A_SECRET_NAME = re.compile(
    r"(?i)(?:_|-|\.)(?:url|uri|endpoint|file|path|dir|name|type|field|fields|length|len|min|max|"
    r"count|header|prefix|suffix|env|var|hash|hashed|regex|pattern|label|help|message|msg|"
    r"template|class|timeout|expiry|expires|ttl|policy|validators?|reset|form|mode|id|ids|"
    r"required|enabled|format|version|source|kind|style|input|check|changed|confirm)$"
)
# A lower-case identifier that itself names a secret ("usable_password", "set-password").
_NAME_LIKE = re.compile(r"^_*[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*_*$")
_SECRET_WORD = re.compile(r"pass|pwd|secret|token|key|credential|auth")
_BEFORE_VALUE = re.compile(r"(?P<name>[\w.-]+)[\"']?\s*(?P<op>===|==|!=|:=|=>|=|:)\s*[\"'`]?$")
# Vendors' documented example credentials.
_DOCUMENTED_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "xoxb-not-a-real-token-this-will-not-work",
    }
)


_SEPARATORS = re.compile(r"[-_.\s'\"]+")
_WORDS_OF_A_DUMMY = re.compile(r"pass(?:word|wd)?|secret|token|key|test", re.IGNORECASE)


# How `mask` shows a value (`ghp_…(40 chars)`); a hit ends at the space, so `…(40` is enough.
_OUR_MASK = re.compile(r"\u2026\(\d+(?:$| chars\))")


def _mostly_dummy(value: str) -> bool:
    """A value built around a dummy word (`your-api-key-here`, `ExamplePassword1`), not one
    that merely contains such a word among random characters (`Tr0ub4dor-Sample-9931`)."""
    if not _DUMMY_WORDS.search(value):
        return False
    rest = _SEPARATORS.sub("", _DUMMY_WORDS.sub("", value))
    classes = sum(
        (
            any(c.islower() for c in rest),
            any(c.isupper() for c in rest),
            any(c.isdigit() for c in rest),
            any(not c.isalnum() for c in rest),
        )
    )
    return len(rest) < 10 or classes < 3 or bool(_WORDS_OF_A_DUMMY.search(rest))


def dismissed(candidate: Candidate) -> str:
    """Why a reviewer would dismiss this hit ('' when it stays a finding)."""
    value = candidate.value.strip()
    line = candidate.line_text
    if candidate.kind == PRIVATE_KEY:
        return "placeholder key" if _DUMMY_WORDS.search(value[:200]) else ""
    if not value or len(value) < 4:
        return "too short to be a credential"
    if value in _DOCUMENTED_EXAMPLES:
        return "a vendor's documented example key"
    if _OUR_MASK.search(value):
        # Our own mask (`ghp_…(40 chars)`): the baseline, a committed report or a pasted log.
        return "already masked"
    if _LOOKUP.match(value):
        return "read from the environment or a secret store"
    if _PLACEHOLDER.search(value):
        return "a template placeholder"
    if value.lower().strip("'\"") in _DUMMY_VALUES or _mostly_dummy(value):
        return "an obvious dummy value"
    if _REPEATED.match(value) or set(value.lower()) <= set("x*.-_#0"):
        return "repeated characters"
    if candidate.kind == GENERIC and value.count(" ") >= 2:
        return "prose, not a credential"
    if candidate.kind == GENERIC:
        context = _assignment_context(line, value)
        if context:
            return context
    if _UUID.match(value):
        return "a UUID"
    if _HASH_PIN.search(line) and value in _after_hash_pins(line):
        return "a hash pin"
    if _SRI.search(value) or (_SRI.search(line) and value in line):
        return "a subresource integrity value"
    if value.startswith("data:") or any(value in part for part in _data_uris(line)):
        return "a data URI"
    if candidate.kind == HIGH_ENTROPY and _HEX_DIGEST.match(value):
        return "a hex digest"
    return ""


def _assignment_context(line: str, value: str) -> str:
    """For a generic hit (any engine): a comparison, or a name that is about a secret."""
    if _NAME_LIKE.match(value) and _SECRET_WORD.search(value):
        return "a field or setting name, not a secret"
    before = None
    position = line.find(value)
    while position >= 0 and before is None:  # the copy after an operator, not one in the name
        before = _BEFORE_VALUE.search(line[:position])
        position = line.find(value, position + 1)
    if before is None:
        return ""
    if before.group("op") in ("==", "!=", "==="):
        return "a comparison, not an assignment"
    if NOT_A_SECRET_NAME.search(before.group("name")):
        return "the name is about a secret (a field, a URL, a length), not one"
    return ""


def _after_hash_pins(line: str) -> str:
    return "".join(line[match.end() :] for match in _HASH_PIN.finditer(line))


def _data_uris(line: str) -> list[str]:
    return [line[match.start() :] for match in _DATA_URI.finditer(line)]
