"""Mask secrets in any text we print, store or send, and make it safe for a terminal or report.

Every pattern here runs on untrusted text (source lines, HTTP bodies, tool output), so each
is linear-time: no nested quantifiers, every repetition bounded, and `redact` only ever sees
bounded windows of a long text (`WINDOW` characters at a time, overlapping).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable

MASK = "***"
WINDOW = 4096  # redact() works on windows this long, overlapping by OVERLAP
OVERLAP = 512
# Longer text is cut (and says so) before redaction: nothing we show needs more, and the
# cost stays bounded (a 2 MiB body costs what 192 KiB does). A 160 KB source line fits.
MAX_REDACT = 192 * 1024

_SENSITIVE_NAME = (
    r"(?:password|passwd|passphrase|pwd|pass|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|client[_-]?secret|auth(?!or)|credentials?|session[_-]?id|cookie|signature)"
)
_Rule = tuple["re.Pattern[str]", "str | Callable[[re.Match[str]], str]", tuple[str, ...]]
# A rule only runs on a window that contains one of its anchors (lower case): cheap `in`
# checks spare most windows most rules.
_NAME_ANCHORS = (
    "pass", "pwd", "secret", "token", "key", "auth", "credential", "session", "cookie", "signature"
)  # fmt: skip


def _keep_prefix(match: re.Match[str]) -> str:
    """Keep group 1 (the name, the `=`, the quote), mask the value, keep a closing quote."""
    closing = match.group("close") if "close" in match.re.groupindex else ""
    return f"{match.group(1)}{MASK}{closing or ''}"


_VARIABLE = re.compile(r"[a-z_][a-z_.]{0,100}")


def _unquoted(match: re.Match[str]) -> str:
    """Like _keep_prefix, but `token = tokenize(x)` is code, not a secret: keep calls."""
    following = match.string[match.end() : match.end() + 1]
    value = match.group()[len(match.group(1)) :]
    if following in ("(", "[") or value.startswith("self."):
        return match.group()
    if following in (",", ")") and _VARIABLE.fullmatch(value):
        return match.group()  # a keyword argument passing a variable: auth=auth
    return _keep_prefix(match)


_RULES: tuple[_Rule, ...] = (
    # Private key blocks (bounded: an unterminated BEGIN masks the rest of its window).
    (
        re.compile(
            r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----"
            r"(?:[A-Za-z0-9+/=\s:,.-]{0,8000}?-----END [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----"
            r"|[A-Za-z0-9+/=\s:,.-]{0,8000})"
        ),
        MASK,
        ("private key",),
    ),
    # Credentials in URLs: scheme://user:password@host and scheme://token@host.
    (re.compile(r"(://[^\s/@:'\"]{0,200}:)[^\s/@'\"]{1,200}(?=@)"), _keep_prefix, ("://",)),
    (re.compile(r"(://)[A-Za-z0-9_.~%-]{16,200}(?=@)"), _keep_prefix, ("://",)),
    # curl/wget style: -u user:pass, --user user:pass, --password pass, --proxy-user u:p.
    (
        re.compile(
            r"(?i)((?:^|\s)(?:-u|--user|--proxy-user)[\s=]{1,5}['\"]?[^\s:'\"]{0,100}:)[^\s'\"]{1,200}"
        ),
        _keep_prefix,
        ("-u",),
    ),
    # HTTP authorization headers and bearer tokens.
    (
        re.compile(
            r"(?i)((?:proxy-)?authorization['\"]?\s{0,5}[:=]\s{0,5}['\"]?(?:basic|bearer|token|digest|negotiate)?\s{0,5})"
            r"[^\s'\",;]{1,1000}"
        ),
        _keep_prefix,
        ("authorization",),
    ),
    (re.compile(r"(?i)(\bbearer\s{1,5})[A-Za-z0-9._~+/=-]{8,1000}"), _keep_prefix, ("bearer",)),
    # Auth tuples: auth=("user", "password"), HTTPBasicAuth("user", "password").
    (
        re.compile(
            r"(?i)((?:auth|basicauth|digestauth|credentials?)\s{0,5}[=(]\s{0,5}\(?\s{0,5}"
            r"[rbuf]{0,2}(['\"])[^'\"\n]{0,200}\2\s{0,5},\s{0,5}[rbuf]{0,2}(['\"]))"
            r"[^'\"\n]{1,500}(?P<close>\3)"
        ),
        _keep_prefix,
        ("auth", "credential"),
    ),
    # name = "quoted value" (code, YAML, JSON, keyword arguments, dict keys).
    (
        re.compile(
            rf"(?i)({_SENSITIVE_NAME}[\w-]{{0,40}}['\"]?\s{{0,5}}(?::=|[:=]|=>|->)\s{{0,5}}"
            r"[rbuf]{0,2}(['\"]))[^'\"\n]{1,1000}(?P<close>\2)"
        ),
        _keep_prefix,
        _NAME_ANCHORS,
    ),
    # name=value (environment, INI, command lines), unquoted.
    (
        re.compile(
            rf"(?i)({_SENSITIVE_NAME}[\w-]{{0,40}}\s{{0,5}}(?::=|[:=]|=>)\s{{0,5}})"
            r"(?!['\"])(?![\s,;)\]}]|$)(?!None\b|null\b|True\b|False\b|os\.|getenv|environ)"
            r"[^\s'\",;()\[\]{}]{1,1000}"
        ),
        _unquoted,
        _NAME_ANCHORS,
    ),
    # --password value / --token value on a command line.
    (
        re.compile(
            rf"(?i)((?<![\w-])--?[\w-]{{0,30}}{_SENSITIVE_NAME}[\w-]{{0,30}}\s{{1,5}}['\"]?)(?!-)[^\s'\"]{{1,500}}"
        ),
        _keep_prefix,
        _NAME_ANCHORS,
    ),
    # Provider token formats.
    (
        re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
        MASK,
        ("akia", "asia", "abia", "acca"),
    ),  # AWS access key ids
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,255}\b"), MASK, ("gh",)),  # GitHub tokens
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{30,255}\b"), MASK, ("github_pat_",)),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,100}\b"), MASK, ("glpat-",)),  # GitLab
    (re.compile(r"\bxox[abprse]-[A-Za-z0-9-]{10,255}\b"), MASK, ("xox",)),  # Slack
    (
        re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,255}\b"),
        MASK,
        ("k_live_", "k_test_"),
    ),  # Stripe
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), MASK, ("aiza",)),  # Google API keys
    (re.compile(r"\bya29\.[0-9A-Za-z_-]{20,1000}"), MASK, ("ya29.",)),  # Google OAuth
    (
        re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,255}\b"),
        MASK,
        ("sk-",),
    ),  # OpenAI, Anthropic
    (re.compile(r"\bSG\.[A-Za-z0-9_-]{16,64}\.[A-Za-z0-9_-]{16,64}\b"), MASK, ("sg.",)),  # SendGrid
    (re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), MASK, ("npm_",)),
    (re.compile(r"\bpypi-[A-Za-z0-9_-]{50,1000}"), MASK, ("pypi-",)),
    (re.compile(r"\bhooks\.slack\.com/services/[A-Za-z0-9/]{20,100}"), MASK, ("hooks.slack.com",)),
    # JSON web tokens.
    (
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{0,1000}"),
        MASK,
        ("eyj",),
    ),
)
_ANCHORS = tuple(
    sorted({anchor for _pattern, _replacement, anchors in _RULES for anchor in anchors})
)
# Candidate high-entropy literals; judged by _looks_random (pure Python, linear).
_TOKEN = re.compile(r"[A-Za-z0-9+/_=-]{24,1000}")
_STRING_LITERAL = re.compile(
    r"""(?P<q>[rRbBuUfF]{0,2}(?:'''|\"\"\"|'|"))(?P<body>[^\n]{0,10000}?)(?P=q)"""
)

# Control characters (C0 including newline and tab, DEL, C1), line and paragraph separators,
# zero-width and bidirectional formatting characters, lone surrogates and XML non-characters:
# anything that can move the cursor, hide text, forge a line or break an XML report.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
    "\ud800-\udfff\ufff9-\ufffb\ufffe\uffff]"
)
_UNSAFE_KEEP_LINES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
    "\ud800-\udfff\ufff9-\ufffb\ufffe\uffff]"
)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """Replace credential-looking values and any of the `extra` literal secrets with ***."""
    for secret in extra:
        if secret:
            text = text.replace(secret, MASK)
    if len(text) > MAX_REDACT:
        dropped = len(text) - MAX_REDACT
        text = text[:MAX_REDACT] + f"... [{dropped} more characters not shown]"
    if len(text) <= WINDOW:
        return _redact_window(text)
    return _redact_long(text)


def _redact_long(text: str) -> str:
    """Redact overlapping windows, so each pattern sees bounded input (no quadratic blow-up)."""
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + WINDOW)
        # Cut at a line break or space near the end of the window, so a token is not split.
        if end < len(text):
            cut = max(text.rfind("\n", start + OVERLAP, end), text.rfind(" ", end - OVERLAP, end))
            end = cut + 1 if cut > start else end
        out.append(_redact_window(text[start:end]))
        start = end
    return "".join(out)


# Findings repeat the same titles, rules and snippets hundreds of times: each distinct text is
# judged once per process (the cache lives in memory only, like the text it was given).
@functools.lru_cache(maxsize=16384)
def _redact_window(text: str) -> str:
    if not text:
        return text
    lowered = text.lower()
    # Which anchors the text holds, found once: most texts (paths, titles) hold none.
    present = {anchor for anchor in _ANCHORS if anchor in lowered}
    if present:
        for pattern, replacement, anchors in _RULES:
            if not present.isdisjoint(anchors):
                text = pattern.sub(replacement, text)
    return _TOKEN.sub(lambda m: MASK if _looks_random(m.group()) else m.group(), text)


def _looks_random(token: str) -> bool:
    """A long literal mixing letters and digits with high Shannon entropy (a key, not a word)."""
    stripped = token.strip("=-_/")
    if len(stripped) < 24 or MASK in token:
        return False
    # map() keeps the per-character tests in C: paths and identifiers are rejected here.
    has_digit = sum(map(str.isdigit, stripped)) >= 2
    has_upper = any(map(str.isupper, stripped))
    has_lower = any(map(str.islower, stripped))
    if not (has_digit and has_lower and has_upper):
        return False
    # Paths and identifiers are words joined by separators; a key has no such structure.
    if stripped.count("/") > len(stripped) // 12 or stripped.count("_") > len(stripped) // 8:
        return False
    # Random text switches between upper, lower and digits often; words and ids rarely do.
    switches = sum(1 for a, b in itertools.pairwise(stripped) if _kind(a) != _kind(b) != "-")
    if switches < len(stripped) // 4:
        return False
    counts = Counter(stripped)
    entropy = -sum(n / len(stripped) * math.log2(n / len(stripped)) for n in counts.values())
    return entropy >= 4.0


def _kind(char: str) -> str:
    if char.isupper():
        return "A"
    if char.islower():
        return "a"
    return "0" if char.isdigit() else "-"


def mask_string_literals(code: str) -> str:
    """Replace every quoted string in a code line with ***, for rules that flag secrets."""
    return _STRING_LITERAL.sub(lambda m: f"{m.group('q')}{MASK}{m.group('q')[-1]}", code)


def printable(text: str, multiline: bool = False) -> str:
    """One line, safe for a terminal, a node id or a report: every control, escape, line
    separator, zero-width or bidi character is shown as a visible escape (`\\x1b`, `\\u202e`).

    `multiline` keeps newlines and tabs (for tracebacks and tool output shown as a block).
    """
    pattern = _UNSAFE_KEEP_LINES if multiline else _UNSAFE
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def json_safe(document: str) -> str:
    """A rendered JSON document with every unsafe character as a `\\uXXXX` escape (still
    valid JSON, same data): a viewer or `cat` of the report cannot be driven by it."""
    return _UNSAFE_KEEP_LINES.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


def clean(text: str, extra: Iterable[str] = ()) -> str:
    """`redact` then `printable`: the one step for any untrusted text we show."""
    return printable(redact(text, extra))


def tail(text: str, lines: int = 15) -> str:
    """The last few lines of a tool's output, redacted, for an error message."""
    kept = text.strip().splitlines()[-lines:]
    return printable(redact("\n".join(kept)[-20000:]), multiline=True)


def excerpt(text: str, limit: int = 60) -> str:
    """A short, redacted, printable excerpt of a line we could not parse (never the whole line)."""
    shown = clean(text[: limit * 4])
    return shown if len(shown) <= limit else shown[:limit] + "..."
