"""Where the policy is written: `[tool.devsecops]` in pyproject.toml, or a devsecops.toml."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from .policy_rules import PolicyError, Rule, parse_rules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

POLICY_FILE = "devsecops.toml"
TABLE_KEYS = ("rules",)
ACCEPTANCE_FIELDS = ("reason", "owner", "expires")
MAX_BYTES = 1024 * 1024


def load_rules(root: Path) -> tuple[tuple[Rule, ...], str]:
    """The user's rules and the file they came from ("" when there is no policy)."""
    found = []
    pyproject = _read(root / "pyproject.toml")
    tool = pyproject.get("tool", {}) if pyproject else {}
    table = tool.get("devsecops") if isinstance(tool, dict) else None
    if table is not None:
        found.append(("pyproject.toml", "[tool.devsecops]", table))
    standalone = _read(root / POLICY_FILE)
    if standalone is not None:
        found.append((POLICY_FILE, "", standalone))
    if len(found) > 1:
        raise PolicyError(
            f"the policy is written both in pyproject.toml [tool.devsecops] and in {POLICY_FILE}; "
            "keep it in one place"
        )
    if not found:
        return (), ""
    name, prefix, data = found[0]
    if not isinstance(data, dict):
        raise PolicyError(f"{name}: {prefix or 'the file'} must be a table")
    for key in data:
        if key not in TABLE_KEYS:
            raise PolicyError(
                f"{name}: unknown key {key!r} in {prefix or 'the policy'}; "
                f"expected {', '.join(TABLE_KEYS)}"
            )
    rules = parse_rules(data.get("rules", []), name)
    return rules, name


def _read(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_BYTES:
            raise PolicyError(f"{path.name}: larger than {MAX_BYTES} bytes")
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{path.name}: cannot be read: {exc}") from None


@dataclasses.dataclass(frozen=True)
class PolicyConfig:
    """The whole policy of a run: rules (the user's, then built-in ones) and acceptance rules."""

    rules: tuple[Rule, ...] = ()
    source: str = ""  # the file the user's rules came from, "" if none
    builtin: tuple[Rule, ...] = ()
    require: tuple[str, ...] = ()
    max_acceptance_days: int | None = None

    @property
    def all_rules(self) -> tuple[Rule, ...]:
        return self.rules + self.builtin

    def header(self) -> list[str]:
        """What pytest's header says about the policy (nothing is hidden silently)."""
        lines = []
        if self.rules:
            count = len(self.rules)
            lines.append(f"devsecops: policy: {self.source} ({count} rule{'s' * (count != 1)})")
        for rule in self.builtin:
            lines.append(
                f"devsecops: built-in policy rule: {rule.scanner} {rule.rule} ignored in "
                f"{', '.join(rule.paths)} (devsecops_default_rules = false turns it off)"
            )
        if self.require or self.max_acceptance_days is not None:
            parts = [f"require {' '.join(self.require)}"] if self.require else []
            if self.max_acceptance_days is not None:
                parts.append(f"expires within {self.max_acceptance_days} days")
            lines.append(f"devsecops: baseline acceptances must {' and '.join(parts)}")
        return lines


def parse_require(words: list[str]) -> tuple[str, ...]:
    """`devsecops_require = reason owner expires`: which entry fields are mandatory."""
    for word in words:
        if word not in ACCEPTANCE_FIELDS:
            raise PolicyError(
                f"devsecops_require: {word!r} is not one of {', '.join(ACCEPTANCE_FIELDS)}"
            )
    return tuple(dict.fromkeys(words))
