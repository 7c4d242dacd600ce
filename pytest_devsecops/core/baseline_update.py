"""Rewrite the baseline text in place: add and remove entries, leave every other byte alone."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from .baseline import Baseline, BaselineError, Entry

HEADER = """\
# pytest-devsecops baseline: security findings this project has reviewed and accepted.
# Give every entry a `reason` (why the risk is acceptable), an `owner`, and an `expires`
# date (YYYY-MM-DD) after which the finding fails again. Refresh the file with
#   pytest --devsecops --devsecops-update-baseline
# which adds new findings and drops fixed ones; your edits and comments are kept.
"""
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./@+-]*$")
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def sort_key(entry: Entry) -> tuple[str, str, str, str, str]:
    return (entry.scanner, entry.path, entry.rule, entry.title, entry.fingerprint)


def render(baseline: Baseline, add: Iterable[Entry], remove: Iterable[str]) -> str:
    """The new file text: `remove` fingerprints cut out, `add` entries placed in sorted order."""
    additions = sorted(add, key=sort_key)
    removals = set(remove)
    if not baseline.exists:
        body = "".join(_entry_text(entry, "  ", "\n") for entry in additions)
        return f"{HEADER}version: 1\nfindings:{' []' if not additions else ''}\n{body}"
    text = baseline.text or ""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    if baseline.findings_line < 0:
        lines.append(f"findings:{newline}")
        return _insert_into_empty(lines, len(lines) - 1, additions, newline)
    if baseline.findings_inline_empty:
        return _insert_into_empty(lines, baseline.findings_line, additions, newline)
    indent = _dash_indent(lines, baseline)
    spans = baseline.spans
    if baseline.entries and not spans:
        raise BaselineError(
            baseline.path,
            baseline.findings_line + 1,
            "'findings' is written in flow style ([...]); write one block item per entry",
        )
    # Walk the existing entries in file order, cutting removed ones and slotting new ones in
    # before the first kept entry that sorts after them (a sorted file stays sorted). Lines
    # between two entries (blank lines, trailing comments) stay where they are.
    out = lines[: spans[0].start] if spans else list(lines)
    pending = list(additions)
    for index, (entry, span) in enumerate(zip(baseline.entries, spans, strict=True)):
        while pending and sort_key(pending[0]) < sort_key(entry):
            out.append(_entry_text(pending.pop(0), indent, newline))
        if entry.fingerprint not in removals:
            out.extend(lines[span.start : span.end])
        gap_end = spans[index + 1].start if index + 1 < len(spans) else span.end
        out.extend(lines[span.end : gap_end])
    if spans:
        # New entries that sort last go right after the last entry, before any trailing text.
        out.extend(_entry_text(entry, indent, newline) for entry in pending)
        out.extend(lines[spans[-1].end :])
    else:
        out.extend(_entry_text(entry, indent, newline) for entry in pending)
    return "".join(out)


def _insert_into_empty(
    lines: list[str], key_line: int, additions: list[Entry], newline: str
) -> str:
    line = lines[key_line]
    prefix = line[: line.index("findings")]
    if not additions:
        return "".join(lines)
    body = [_entry_text(entry, prefix + "  ", newline) for entry in additions]
    return "".join(
        [*lines[:key_line], f"{prefix}findings:{newline}", *body, *lines[key_line + 1 :]]
    )


def _dash_indent(lines: list[str], baseline: Baseline) -> str:
    for span in baseline.spans:
        for line in lines[span.start : span.end]:
            if line.lstrip().startswith("-"):
                return line[: len(line) - len(line.lstrip())]
    return "  "


def _entry_text(entry: Entry, indent: str, newline: str) -> str:
    fields = [
        ("fingerprint", entry.fingerprint),
        ("scanner", entry.scanner),
        ("rule", entry.rule),
        ("path", entry.path),
        ("title", entry.title),
        ("severity", entry.severity),
        ("reason", entry.reason),
        ("owner", entry.owner),
        ("expires", entry.expires.isoformat() if entry.expires else ""),
    ]
    rows = []
    for position, (name, value) in enumerate(fields):
        lead = f"{indent}- " if position == 0 else f"{indent}  "
        # Hex fingerprints are always quoted so none of them can ever read as a number.
        text = json.dumps(value) if name == "fingerprint" else scalar(value)
        rows.append(f"{lead}{name}: {text}{newline}")
    return "".join(rows)


def scalar(value: str) -> str:
    """A YAML scalar for `value` that every YAML 1.1 or 1.2 reader reads back as that string."""
    if _PLAIN.match(value) and value.lower() not in _YAML11_WORDS:
        return value
    # A JSON string is a valid YAML double-quoted scalar, with every control character escaped.
    return json.dumps(value, ensure_ascii=False)
