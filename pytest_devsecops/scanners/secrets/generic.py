"""Our fast generic detector: assignments to secret-like names, and `scheme://user:pass@host`."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from .filters import NOT_A_SECRET_NAME
from .model import GENERIC, URL_CREDENTIALS, Candidate

ENGINE = "ours"
MAX_LINE = 2000  # longer lines are minified bundles or data blobs, not hand-written assignments

# Keywords are found with str.find on the case-folded text (C speed, no regex per position);
# only their few hits are looked at more closely, with regexes anchored at the hit.
_KEYWORDS = (
    "password", "passwd", "passphrase", "pwd", "secret", "token", "credential",
    "apikey", "api_key", "api-key", "accesskey", "access_key", "access-key",
    "privatekey", "private_key", "private-key", "authkey", "auth_key", "auth-key",
)  # fmt: skip
# The keywords by the prefix they share ("pass" for password, passwd, passphrase...).
_ROOTS: dict[str, tuple[str, ...]] = {}
for _keyword in _KEYWORDS:
    _root = next(
        (r for r in ("pass", "api", "access", "private", "auth") if _keyword.startswith(r)),
        _keyword,
    )
    _ROOTS[_root] = (*_ROOTS.get(_root, ()), _keyword)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_IDENTIFIER = re.compile(r"[\w.-]*")
# After the name: = "v", : "v", ": "v" (JSON), := "v", => "v", : str = "v" (annotated).
_AFTER_NAME = re.compile(
    r"""["']?[ \t]*
    (?::[ \t]*[A-Za-z_][\w\[\]., |]{0,60}?[ \t]*(?<![=!<>])=(?!=)
      |(?<![=!<>]):=|=>|(?<![=!<>])=(?!=)|:(?!:))[ \t]*
    (?:(?P<q>["'`])(?P<quoted>[^"'`\n]*)(?P=q)|(?P<bare>[^\s"'`,;#}\])]+))
    """,
    re.VERBOSE,
)
_URL_AFTER_SCHEME = re.compile(r"://(?P<user>[^\s:/@\"'<>]*):(?P<value>[^\s:/@\"'<>]+)@[\w.-]")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
# Files where a bare (unquoted) value is a literal: dotenv, INI, TOML, YAML, properties, shell.
_BARE_VALUE_SUFFIXES = frozenset(
    {".env", ".ini", ".cfg", ".conf", ".toml", ".yaml", ".yml", ".properties", ".sh", ".bash"}
)


def scan_text(path: str, text: str, commit: str = "") -> list[Candidate]:
    """Every generic hit in one file's text (filters are applied by the caller)."""
    lines = _Lines(text)
    found = []
    for match in _url_credentials(text):
        number, line = lines.at(match.start())
        if len(line) <= MAX_LINE:
            value = match.group("value")
            kind = URL_CREDENTIALS
            found.append(Candidate(ENGINE, kind, kind, path, number, value, line, commit))
    bare_ok = _bare_values_are_literals(path)
    for name, end in _names(text):
        after = _AFTER_NAME.match(text, end)
        if after is None:
            continue
        value = after.group("quoted")
        if value is None:
            if not bare_ok:
                continue
            value = after.group("bare")
        if NOT_A_SECRET_NAME.search(name) or "://" in value or " " in value:
            continue
        number, line = lines.at(end)
        if len(line) <= MAX_LINE:
            found.append(Candidate(ENGINE, GENERIC, GENERIC, path, number, value, line, commit))
    return found


def _url_credentials(text: str) -> Iterator[re.Match[str]]:
    """`scheme://user:pass@host`: found from each `://`, never by a regex tried everywhere."""
    if "@" not in text:
        return
    position = text.find("://")
    while position >= 0:
        scheme = position
        while scheme > 0 and text[scheme - 1] in _SCHEME_CHARS and position - scheme <= 30:
            scheme -= 1
        match = _URL_AFTER_SCHEME.match(text, position)
        if match is not None and position - scheme >= 2 and text[scheme].isalpha():
            yield match
        position = text.find("://", position + 3)


def _keyword_hits(text: str) -> list[tuple[int, int]]:
    # Offsets must stay true: lower() keeps them unless a character grows (`İ`), and then the
    # per-character translate() is used (it cost 0.8 s of a cold scan of Django's .po files).
    folded = text.lower()
    if len(folded) != len(text):
        folded = text.translate(_ASCII_LOWER)
    hits = []
    for root, keywords in _ROOTS.items():  # one pass over the text per shared prefix
        position = folded.find(root)
        while position >= 0:
            hits += [
                (position, position + len(k)) for k in keywords if folded.startswith(k, position)
            ]
            position = folded.find(root, position + 1)
    return sorted(hits)


def _names(text: str) -> Iterator[tuple[str, int]]:
    """Each identifier holding a secret keyword once, with where it ends."""
    last_end = -1
    for hit_start, hit_end in _keyword_hits(text):
        if hit_start < last_end:
            continue  # a second keyword inside the same identifier
        tail = _IDENTIFIER.match(text, hit_end)
        end = tail.end() if tail else hit_end
        start = hit_start
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
            start -= 1
        last_end = end
        yield text[start:end], end


class _Lines:
    """Line numbers and texts for offsets, found by bisection over the newline positions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] = []  # built on the first hit: most files have none

    def at(self, offset: int) -> tuple[int, str]:
        if not self.starts:
            self.starts = [0] + [match.end() for match in re.finditer("\n", self.text)]
        index = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[index]
        end = self.text.find("\n", start)
        return index + 1, self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")


def _bare_values_are_literals(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    if name.startswith(".env") or name.endswith(".env") or name.startswith("dockerfile"):
        return True
    return PurePosixPath(name).suffix in _BARE_VALUE_SUFFIXES
