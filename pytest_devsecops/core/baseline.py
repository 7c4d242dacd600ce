"""The committed baseline: a data-only YAML loader with line-accurate errors.

The loader walks YAML *nodes* rather than constructing objects, so no tag, anchor,
alias or YAML 1.1 boolean trick can change what a value means, and every error can
name the line it is on.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import hashlib
import re
from pathlib import Path

import yaml

from .finding import Finding

SCHEMA_VERSION = 1
MAX_BYTES = 5 * 1024 * 1024
REQUIRED_KEYS = ("fingerprint", "scanner", "rule")
KNOWN_KEYS = (*REQUIRED_KEYS, "path", "title", "severity", "reason", "owner", "expires")
MAX_DEPTH = 16  # the schema needs 3 levels; anything deeper is not a baseline
_FINGERPRINT = re.compile(r"^[0-9a-f]{24}$")
_STANDARD_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "bool", "null", "float", "map", "seq", "timestamp")
}


class BaselineError(Exception):
    """The baseline file cannot be used; the message names the file, line and problem."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        self.path, self.line, self.problem = path, line, problem
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {problem}")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One accepted finding as the team wrote it down."""

    fingerprint: str
    scanner: str
    rule: str
    path: str = ""
    title: str = ""
    severity: str = ""
    reason: str = ""
    owner: str = ""
    expires: datetime.date | None = None
    line: int = 0

    @classmethod
    def for_finding(cls, finding: Finding) -> Entry:
        """A new entry for `finding`; the team fills in reason, owner and expires."""
        return cls(
            fingerprint=finding.fingerprint,
            scanner=finding.scanner,
            rule=finding.rule,
            path=finding.baseline_path,
            title=finding.title,
            severity=finding.severity.value,
        )

    def expired(self, today: datetime.date) -> bool:
        return self.expires is not None and self.expires < today


@dataclasses.dataclass(frozen=True)
class Span:
    """Which lines of the file (0-based, end exclusive) an entry owns, comments included."""

    start: int
    end: int


@dataclasses.dataclass(frozen=True)
class Baseline:
    """A loaded baseline: its entries plus what the updater needs to splice the text."""

    path: Path
    entries: tuple[Entry, ...] = ()
    text: str | None = None
    spans: tuple[Span, ...] = ()
    findings_line: int = -1
    findings_inline_empty: bool = False

    @property
    def exists(self) -> bool:
        return self.text is not None

    @property
    def digest(self) -> str:
        if self.text is None:
            return ""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def by_fingerprint(self) -> dict[str, Entry]:
        return {entry.fingerprint: entry for entry in self.entries}


def load(path: Path) -> Baseline:
    """Read and validate the baseline at `path`; a missing file is an empty baseline."""
    try:
        if path.is_symlink():
            raise BaselineError(path, 0, "is a symbolic link; refusing to follow it")
        if not path.exists():
            return Baseline(path=path)
        if not path.is_file():
            raise BaselineError(path, 0, "is not a regular file")
        if path.stat().st_size > MAX_BYTES:
            raise BaselineError(path, 0, f"is larger than {MAX_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise BaselineError(path, 0, f"cannot be read: {exc.strerror or exc}") from exc
    return parse(path, raw)


def parse(path: Path, raw: bytes) -> Baseline:
    """Validate baseline bytes; raises `BaselineError` for anything but the documented schema."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BaselineError(path, line, "is not valid UTF-8") from exc
    try:
        _check_events(path, text)
        # The composer builds nodes only: no Python object is ever constructed from them.
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise BaselineError(path, line, f"is not valid YAML: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise BaselineError(path, 0, f"is not valid YAML: {exc}") from exc
    if root is None:
        return Baseline(path=path, text=text)
    _reject_unsafe(path, root)
    top = _mapping(path, root, "the top level")
    unknown = sorted(set(top) - {"version", "findings"})
    if unknown:
        raise BaselineError(
            path, top[unknown[0]][0].start_mark.line + 1, f"unknown key {unknown[0]!r}"
        )
    if "version" not in top:
        raise BaselineError(path, 1, "has no 'version' key")
    version_node = top["version"][1]
    if _scalar(path, version_node, "version") != str(SCHEMA_VERSION):
        raise BaselineError(
            path,
            version_node.start_mark.line + 1,
            f"has schema version {version_node.value!r}; this pytest-devsecops reads "
            f"version {SCHEMA_VERSION} (upgrade the plugin, or regenerate the file)",
        )
    if "findings" not in top:
        return Baseline(path=path, text=text)
    findings_key, findings = top["findings"]
    if isinstance(findings, yaml.ScalarNode) and _is_null(findings):
        line = findings_key.start_mark.line
        return Baseline(path=path, text=text, findings_line=line, findings_inline_empty=True)
    if not isinstance(findings, yaml.SequenceNode):
        raise BaselineError(path, findings.start_mark.line + 1, "'findings' must be a list")
    entries = tuple(_entry(path, node) for node in findings.value)
    _reject_duplicates(path, entries)
    lines = text.splitlines(keepends=True)
    spans = () if findings.flow_style else _spans(lines, findings, findings_key.start_mark.line + 1)
    return Baseline(
        path=path,
        entries=entries,
        text=text,
        spans=spans,
        findings_line=findings_key.start_mark.line,
        findings_inline_empty=bool(findings.flow_style and not findings.value),
    )


def _check_events(path: Path, text: str) -> None:
    """Refuse anchors, aliases and deep nesting from the event stream, before composing.

    The composer recurses once per nesting level (a few thousand `[` would exhaust Python's
    stack) and forgets anchors that nothing refers to; the event stream has neither problem.
    """
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise BaselineError(
                path, line, "uses YAML anchors or aliases; the baseline must be plain data"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise BaselineError(
                    path, line, f"is nested more than {MAX_DEPTH} levels deep; not a baseline"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _reject_unsafe(path: Path, root: yaml.Node) -> None:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        line = node.start_mark.line + 1
        if id(node) in seen:
            raise BaselineError(
                path, line, "uses YAML anchors or aliases; the baseline must be plain data"
            )
        seen.add(id(node))
        if getattr(node, "anchor", None):
            raise BaselineError(
                path, line, "uses YAML anchors or aliases; the baseline must be plain data"
            )
        if node.tag not in _STANDARD_TAGS:
            raise BaselineError(
                path, line, f"uses the YAML tag {node.tag!r}; only plain data is allowed"
            )
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _mapping(path: Path, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise BaselineError(path, node.start_mark.line + 1, f"{what} must be a mapping")
    result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        name = _scalar(path, key, "a key")
        if name in result:
            raise BaselineError(path, key.start_mark.line + 1, f"duplicate key {name!r}")
        result[name] = (key, value)
    return result


def _scalar(path: Path, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise BaselineError(path, node.start_mark.line + 1, f"{what} must be a single value")
    return "" if _is_null(node) else str(node.value)


def _is_null(node: yaml.Node) -> bool:
    return node.tag == "tag:yaml.org,2002:null"


def _entry(path: Path, node: yaml.Node) -> Entry:
    fields = _mapping(path, node, "each entry under 'findings'")
    line = node.start_mark.line + 1
    for name, (key, _) in fields.items():
        if name not in KNOWN_KEYS:
            hint = difflib.get_close_matches(name, KNOWN_KEYS, n=1)
            raise BaselineError(
                path,
                key.start_mark.line + 1,
                f"unknown key {name!r} in an entry"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; an entry has only {', '.join(KNOWN_KEYS)}",
            )
    values = {name: _scalar(path, value, repr(name)) for name, (_, value) in fields.items()}
    for name in REQUIRED_KEYS:
        if not values.get(name):
            raise BaselineError(path, line, f"entry has no {name!r}")
    if not _FINGERPRINT.match(values["fingerprint"]):
        raise BaselineError(
            path, line, f"fingerprint {values['fingerprint']!r} is not one this plugin wrote"
        )
    expires = None
    if values.get("expires"):
        try:
            expires = datetime.date.fromisoformat(values["expires"])
        except ValueError as exc:
            expires_line = fields["expires"][1].start_mark.line + 1
            raise BaselineError(
                path, expires_line, f"expires {values['expires']!r} is not a YYYY-MM-DD date"
            ) from exc
    known = {name: values.get(name, "") for name in KNOWN_KEYS if name != "expires"}
    return Entry(**known, expires=expires, line=line)


def _reject_duplicates(path: Path, entries: tuple[Entry, ...]) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.fingerprint in seen:
            raise BaselineError(
                path, entry.line, f"fingerprint {entry.fingerprint} is listed twice"
            )
        seen.add(entry.fingerprint)


def _spans(lines: list[str], findings: yaml.SequenceNode, first: int) -> tuple[Span, ...]:
    """Line ranges of each entry: its own lines plus the comment lines directly above it."""
    spans = []
    previous_end = first
    for node in findings.value:
        start = node.start_mark.line
        if (
            not lines[start].lstrip().startswith("-")
            and start > 0
            and lines[start - 1].strip() == "-"
        ):
            start -= 1
        # A block mapping ends where the next token starts; its last value ends on its own line.
        end_mark = node.value[-1][1].end_mark
        end = end_mark.line + 1 if end_mark.column > 0 else end_mark.line
        while end > start + 1 and _is_blank_or_comment(lines[end - 1]):
            end -= 1
        while start > previous_end and lines[start - 1].lstrip().startswith("#"):
            start -= 1
        spans.append(Span(start, end))
        previous_end = end
    return tuple(spans)


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")
