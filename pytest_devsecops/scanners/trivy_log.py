"""Read trivy's log (stderr): the parse errors it logs instead of failing, and its checks source."""

from __future__ import annotations

import dataclasses
import json
import re

# `2026-01-01T00:00:00Z\tERROR\t[terraform parser] Error parsing file\tfile_path="a.tf" err="..."`
_LEVEL = re.compile(r"^\S+\s+(ERROR|FATAL)\s+(.*)$")
_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')
# Logged at ERROR level on every offline run; it is how we know which checks ran.
_EMBEDDED = "Falling back to embedded checks"


@dataclasses.dataclass(frozen=True)
class TrivyLog:
    """What trivy's log says: files it could not parse, other errors, and the checks source."""

    parse_errors: dict[str, str]
    other_errors: tuple[str, ...]
    embedded_checks: bool
    rego_errors: tuple[str, ...] = ()  # custom checks that did not compile (trivy goes on!)


def read(stderr: str) -> TrivyLog:
    parse_errors: dict[str, str] = {}
    other: list[str] = []
    rego: list[str] = []
    embedded = False
    for line in stderr.splitlines():
        match = _LEVEL.match(line.strip())
        if not match:
            continue
        text = match.group(2)
        if _EMBEDDED in text:
            embedded = True
            continue
        fields = {key: _unquote(value) for key, value in _FIELD.findall(text)}
        path = fields.get("file_path")
        if text.startswith("[rego]"):
            reason = fields.get("err") or text
            rego.append(f"{path or 'a Rego check'}: {reason.strip()}")
        elif path:
            reason = fields.get("err") or fields.get("cause") or text.split("\t")[0]
            parse_errors.setdefault(path, f"trivy could not parse it: {' '.join(reason.split())}")
        else:
            other.append(" ".join(text.split()))
    return TrivyLog(parse_errors, tuple(other), embedded, tuple(rego))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value[1:-1]
        return str(decoded)
    return value
