"""ZAP baseline's rules file (`zap-baseline.py -c`), so teams can bring the file they have.

Lines are `id<TAB>LEVEL<TAB>(name)` with LEVEL one of PASS, IGNORE, INFO, WARN, FAIL, or
`id<TAB>OUTOFSCOPE<TAB>regex` where id may be a comma-separated list or `*`. IGNORE drops a
rule's alerts, INFO and WARN report them without failing, FAIL always fails, OUTOFSCOPE drops
alerts whose URL matches the regex (Python `re.match`, as ZAP's script does).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import paths

if TYPE_CHECKING:
    from .passive import Alert

LEVELS = ("PASS", "IGNORE", "INFO", "WARN", "FAIL")


class RulesFileError(ValueError):
    """The rules file does not follow ZAP baseline's format; the message names the line."""


@dataclasses.dataclass(frozen=True)
class RuleLevels:
    levels: tuple[tuple[int, str], ...] = ()
    out_of_scope: tuple[tuple[str, re.Pattern[str]], ...] = ()  # ("*" or plugin id, regex)

    def level_for(self, plugin_id: int) -> str:
        return dict(self.levels).get(plugin_id, "")

    def policy_for(self, plugin_id: int) -> str:
        level = self.level_for(plugin_id)
        return {"FAIL": "fail", "INFO": "report", "WARN": "report"}.get(level, "")

    def keeps(self, alert: Alert) -> bool:
        plugin = alert.plugin_id or _plugin(alert.rule)
        if self.level_for(plugin) == "IGNORE":
            return False
        for key, pattern in self.out_of_scope:
            if (key == "*" or key == str(plugin)) and pattern.match(alert.url):
                return False
        return True


def _plugin(rule: str) -> int:
    head = rule.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


def load(path: Path) -> RuleLevels:
    try:
        # Never a FIFO, a device or /proc (that would block or leak); capped in size.
        text = paths.read_bytes(path, 4 * 1024 * 1024, what="DAST rules file").decode("utf-8")
    except paths.PathRefused as exc:
        raise RulesFileError(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesFileError(f"{path}: cannot be read: {exc}") from None
    levels: dict[int, str] = {}
    out_of_scope: list[tuple[str, re.Pattern[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 3:
            raise RulesFileError(
                f"{path}:{number}: expected at least 3 tab-separated fields (id, level, name)"
            )
        keys, level = fields[0].strip(), fields[1].strip()
        if level == "OUTOFSCOPE":
            try:
                pattern = re.compile(fields[2].strip())
            except re.error as exc:
                raise RulesFileError(f"{path}:{number}: bad OUTOFSCOPE regex: {exc}") from None
            out_of_scope += [(key.strip(), pattern) for key in keys.split(",")]
            continue
        if level not in LEVELS:
            raise RulesFileError(
                f"{path}:{number}: level {level!r} is not one of {', '.join(LEVELS)}"
            )
        for key in keys.split(","):
            if not key.strip().isdigit():
                raise RulesFileError(f"{path}:{number}: {key.strip()!r} is not a rule id")
            levels[int(key)] = level
    return RuleLevels(tuple(sorted(levels.items())), tuple(out_of_scope))
