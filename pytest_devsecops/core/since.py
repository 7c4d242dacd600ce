"""The diff-aware gate: findings on lines nobody touched since REF are reported, not failed."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence

from .policy import Decision, Verdict

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")


@dataclasses.dataclass(frozen=True)
class ChangeSet:
    """Lines added or changed since the merge base, per root-relative path.

    A path mapped to None is new (untracked, or added since the base): every line counts.
    """

    ref: str
    base: str
    lines: Mapping[str, frozenset[int] | None]

    def touched(self, path: str, first: int, last: int) -> bool:
        if path not in self.lines:
            return False
        changed = self.lines[path]
        return changed is None or any(line in changed for line in range(first, last + 1))

    def to_dict(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "base": self.base,
            "lines": {
                path: None if lines is None else sorted(lines) for path, lines in self.lines.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ChangeSet:
        lines = data["lines"]
        if not isinstance(lines, dict):
            raise ValueError("not a change set written by pytest-devsecops")
        return cls(
            str(data["ref"]),
            str(data["base"]),
            {p: None if v is None else frozenset(v) for p, v in lines.items()},
        )


def parse_diff(diff: str) -> dict[str, frozenset[int] | None]:
    """Added/changed line numbers per file from `git diff -U0` output (new-side paths)."""
    found: dict[str, set[int] | None] = {}
    current: str | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            current = None if target == "/dev/null" else _unquote(target).removeprefix("b/")
            if current is not None:
                found.setdefault(current, set())
            continue
        match = _HUNK.match(line)
        if match and current is not None:
            lines = found[current]
            start = int(match["start"])
            count = 1 if match["count"] is None else int(match["count"])
            if lines is not None:
                lines.update(range(start, start + count))
    return {path: None if lines is None else frozenset(lines) for path, lines in found.items()}


def with_new_files(
    lines: Mapping[str, frozenset[int] | None], new_files: Iterable[str]
) -> dict[str, frozenset[int] | None]:
    merged = dict(lines)
    merged.update(dict.fromkeys(new_files))
    return merged


def apply(
    decisions: Sequence[Decision], changes: ChangeSet, scanners: Iterable[str]
) -> list[Decision]:
    """Demote new findings of file-line scanners on untouched lines to below-gate.

    Accepted, expired and stale verdicts are left alone: the baseline rules still apply.
    """
    gated = set(scanners)
    note = f"pre-existing, not changed since {changes.ref}"
    out = []
    for decision in decisions:
        finding = decision.finding
        if (
            decision.verdict is Verdict.NEW
            and finding is not None
            and decision.scanner in gated
            and finding.location.path
            and finding.location.line
            and finding.policy != "fail"
        ):
            first = finding.location.line
            last = first + finding.snippet.count("\n")
            if not changes.touched(finding.location.path, first, last):
                decision = dataclasses.replace(decision, verdict=Verdict.BELOW_GATE, note=note)
        out.append(decision)
    return out


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual file names (`"a\\tb.py"`, octal UTF-8 bytes)."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    body, out, index = path[1:-1], bytearray(), 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            following = body[index + 1]
            if following in "01234567" and index + 3 < len(body):
                out.append(int(body[index + 1 : index + 4], 8) & 0xFF)
                index += 4
                continue
            out.append(_ESCAPES.get(following, ord(following) & 0xFF))
            index += 2
            continue
        out.extend(char.encode("utf-8"))
        index += 1
    return out.decode("utf-8", "replace")
