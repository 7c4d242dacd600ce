"""Our fast generic detector: assignments to secret-like names, and `scheme://user:pass@host`."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from .filters import NOT_A_SECRET_NAME
from .model import GENERIC, URL_CREDENTIALS, Candidate

ENGINE = "ours"

_NAME = (
    r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|auth[_-]?key|client[_-]?secret|credentials?)"
)
# NAME = "v", NAME: "v", "name": "v", NAME := "v", name => "v", password="v" (a keyword argument).
_ASSIGNMENT = re.compile(
    rf"""(?ix)
    (?P<name>[A-Za-z_][\w.-]*{_NAME}[\w.-]*|{_NAME}[\w.-]*)
    ["']?\s*
    (?::\s*[A-Za-z_][\w\[\]., |]*?\s*(?<![=!<>])=(?!=)   # an annotated assignment
      |(?<![=!<>]):=|=>|(?<![=!<>])=(?!=)|:(?!:))\s*
    (?:(?P<q>["'`])(?P<quoted>[^"'`\n]*)(?P=q)|(?P<bare>[^\s"'`,;#}}\])]+))
    """
)
_URL_CREDENTIALS = re.compile(
    r"(?i)\b[a-z][a-z0-9+.-]{1,30}://(?P<user>[^\s:/@\"'<>]*):(?P<value>[^\s:/@\"'<>]+)@[\w.-]+"
)
# Files where a bare (unquoted) value is a literal: dotenv, INI, TOML, YAML, properties, shell.
_BARE_VALUE_SUFFIXES = frozenset(
    {".env", ".ini", ".cfg", ".conf", ".toml", ".yaml", ".yml", ".properties", ".sh", ".bash"}
)


def scan_text(path: str, text: str, commit: str = "") -> list[Candidate]:
    """Every generic hit in one file's text (filters are applied by the caller)."""
    bare_ok = _bare_values_are_literals(path)
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > 2000:  # minified bundles and data blobs: not hand-written assignments
            continue
        for match in _URL_CREDENTIALS.finditer(line):
            found.append(
                Candidate(
                    ENGINE,
                    URL_CREDENTIALS,
                    URL_CREDENTIALS,
                    path,
                    number,
                    match.group("value"),
                    line,
                    commit,
                )
            )
        for match in _ASSIGNMENT.finditer(line):
            value = match.group("quoted")
            if value is None:
                if not bare_ok:
                    continue
                value = match.group("bare")
            if NOT_A_SECRET_NAME.search(match.group("name")) or "://" in value or " " in value:
                continue
            found.append(Candidate(ENGINE, GENERIC, GENERIC, path, number, value, line, commit))
    return found


def _bare_values_are_literals(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    if name.startswith(".env") or name.endswith(".env") or name.startswith("dockerfile"):
        return True
    return PurePosixPath(name).suffix in _BARE_VALUE_SUFFIXES
