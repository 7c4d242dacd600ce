"""Policy rules: ordered, first match wins, matched on scanner, rule id, place and severity."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from .finding import Finding
from .severity import Severity

ACTIONS = ("ignore", "report", "fail", "gate")
RULE_KEYS = ("scanner", "rule", "paths", "severity", "action", "fail_on", "reason")
TEST_PATTERNS = ("**/test_*.py", "**/*_test.py", "**/conftest.py")


class PolicyError(ValueError):
    """A policy that cannot be used; the message names the file, the rule's index and the key."""


@dataclasses.dataclass(frozen=True)
class Rule:
    """One policy rule; empty match fields match everything."""

    index: int  # 1-based position in its file (0 for rules that are not in the policy file)
    origin: str  # the file it is in; for index 0 its whole name, e.g. "built-in rule B101-in-tests"
    action: str  # ignore | report | fail | gate
    scanner: str = ""
    rule: str = ""
    paths: tuple[str, ...] = ()
    severity: Severity | None = None  # the least severity a finding must have to match
    fail_on: Severity | None = None  # the gate for `gate` ("" keeps the global gate)
    reason: str = ""

    @property
    def name(self) -> str:
        return self.origin if not self.index else f"rule {self.index}"

    def describe(self) -> str:
        """E.g. `rule 2 (pyproject.toml): gate at high for iac in infra/dev/**`."""
        what = {
            "ignore": "ignore",
            "report": "report, never fail",
            "fail": "always fail",
            "gate": f"gate at {self.fail_on}" if self.fail_on else "the global gate",
        }[self.action]
        scope = [
            self.scanner or "any scanner",
            f"rule {self.rule}" if self.rule else "",
            f"in {', '.join(self.paths)}" if self.paths else "",
            f"at {self.severity} or above" if self.severity else "",
        ]
        where = f" ({self.origin})" if self.index else ""
        reason = f": {self.reason}" if self.reason else ""
        return f"{self.name}{where}: {what} for {' '.join(p for p in scope if p)}{reason}"

    def matches(self, finding: Finding) -> bool:
        if self.scanner and not glob_match(self.scanner, finding.scanner):
            return False
        if self.rule and not glob_match(self.rule, finding.rule):
            return False
        if self.severity is not None and finding.severity < self.severity:
            return False
        if self.paths:
            places = places_of(finding)
            return any(glob_match(p, place) for p in self.paths for place in places)
        return True


def first_match(rules: Sequence[Rule], finding: Finding) -> Rule | None:
    """The first matching rule; after the policy's rules, a rules file's level for the finding."""
    found = next((rule for rule in rules if rule.matches(finding)), None)
    if found is None and finding.policy in ("fail", "report"):
        # The DAST rules file (zap-baseline's FAIL, WARN/INFO) set this level when the finding
        # was made; it is one more rule of the same engine, after the user's own.
        return Rule(
            index=0,
            origin="DAST rules file (devsecops_zap_rules)",
            action=finding.policy,
            scanner=finding.scanner,
            rule=finding.rule,
        )
    return found


def places_of(finding: Finding) -> tuple[str, ...]:
    """What `paths` globs are matched against: the file, a URL's path, a dependency's name."""
    places = []
    location = finding.location
    if location.path:
        places.append(location.path)
    if location.url:
        places.append(urlsplit(location.url).path or "/")
    if "==" in finding.label and not location.url:
        places.append(finding.label.split("==", 1)[0])  # a dependency: its package name
    return tuple(places)


def parse_rules(items: object, origin: str) -> tuple[Rule, ...]:
    """Validate `[[tool.devsecops.rules]]`; every error names the rule's index and key."""
    if not isinstance(items, list):
        raise PolicyError(f"{origin}: 'rules' must be an array of tables ([[...rules]])")
    return tuple(_rule(index, item, origin) for index, item in enumerate(items, start=1))


def _rule(index: int, item: object, origin: str) -> Rule:
    where = f"{origin}: rule {index}"
    if not isinstance(item, Mapping):
        raise PolicyError(f"{where}: must be a table")
    for key in item:
        if key not in RULE_KEYS:
            raise PolicyError(f"{where}: unknown key {key!r}; a rule has {', '.join(RULE_KEYS)}")
    text = {key: _string(where, key, item[key]) for key in item if key != "paths"}
    paths = _strings(where, item.get("paths", []))
    for pattern in (text.get("scanner", ""), text.get("rule", ""), *paths):
        try:
            glob_regex(pattern)
        except ValueError as exc:
            raise PolicyError(f"{where}: bad glob {pattern!r}: {exc}") from None
    fail_on = _level(where, "fail_on", text.get("fail_on", ""))
    action = text.get("action", "gate" if fail_on else "")
    if action not in ACTIONS:
        raise PolicyError(
            f"{where}: key 'action' is {action!r}; expected one of {', '.join(ACTIONS)}"
            + (" (or set fail_on)" if not action else "")
        )
    if fail_on and action != "gate":
        raise PolicyError(f"{where}: key 'fail_on' only goes with action = \"gate\"")
    reason = text.get("reason", "").strip()
    if action == "ignore" and not reason:
        raise PolicyError(f"{where}: key 'reason' is required with action = \"ignore\"")
    return Rule(
        index=index,
        origin=origin,
        action=action,
        scanner=text.get("scanner", ""),
        rule=text.get("rule", ""),
        paths=paths,
        severity=_level(where, "severity", text.get("severity", "")),
        fail_on=fail_on,
        reason=reason,
    )


def _string(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise PolicyError(f"{where}: key {key!r} must be a string")
    return value


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PolicyError(f"{where}: key 'paths' must be a list of glob strings")
    return tuple(value)


def _level(where: str, key: str, text: str) -> Severity | None:
    if not text:
        return None
    try:
        return Severity.parse(text)
    except ValueError:
        raise PolicyError(
            f"{where}: key {key!r} is {text!r}; expected info, low, medium, high or critical"
        ) from None


def default_rules(testpaths: Iterable[str]) -> tuple[Rule, ...]:
    """The one built-in rule: bandit's B101 (`assert`) is how tests work, not a finding."""
    folders = tuple(f"{p.strip('/')}/**" for p in testpaths if p.strip("/") not in ("", "."))
    return (
        Rule(
            index=0,
            origin="built-in rule B101-in-tests",
            action="ignore",
            scanner="bandit",
            rule="B101",
            paths=(*folders, *TEST_PATTERNS),
            reason="assert is how pytest tests check things (turn this off with "
            "devsecops_default_rules = false)",
        ),
    )


_CACHE: dict[str, re.Pattern[str]] = {}


def glob_match(pattern: str, text: str) -> bool:
    """`*` and `?` stay inside one path segment, `**` spans segments, `[...]` is a class."""
    return bool(glob_regex(pattern).fullmatch(text))


def glob_regex(pattern: str) -> re.Pattern[str]:
    cached = _CACHE.get(pattern)
    if cached is not None:
        return cached
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                raise ValueError("'[' is never closed")
            body = pattern[i + 1 : end]
            negate = body.startswith("!")
            members = body[negate:].replace("\\", "\\\\").replace("^", "\\^")
            out.append("[" + ("^" if negate else "") + members + "]")
            i = end + 1
        elif char == "]":
            raise ValueError("']' without '['")
        else:
            out.append(re.escape(char))
            i += 1
    compiled = re.compile("".join(out))
    _CACHE[pattern] = compiled
    return compiled
