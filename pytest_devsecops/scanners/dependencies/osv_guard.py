"""Refuse hostile OSV records before parsing: links out, special files, size, aliases, depth.

An offline database is data from outside (a checkout, a download, a pull request): a record
can be a symlink to `/proc/self/environ` or a FIFO, gigabytes long, a YAML alias bomb or
nested a million levels deep. Each such record is refused on its own, named on the status
item, and the whole database is capped in records and bytes so memory stays bounded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ...core import paths

MAX_RECORD_BYTES = 4 * 1024 * 1024  # the largest real OSV record is a few hundred KB
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_RECORDS = 500_000
MAX_DEPTH = 32
_PARSER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class Refused(bytes):
    """A record that was not read: its bytes are the reason (reported, never parsed)."""

    @property
    def why(self) -> str:
        return self.decode("utf-8", "replace")


class Budget:
    """Counts records and bytes read from one database against the caps."""

    def __init__(self) -> None:
        self.records = 0
        self.total = 0

    def admit(self, size: int) -> str:
        """ "" if one more record of `size` bytes fits; otherwise why not."""
        self.records += 1
        if self.records > MAX_RECORDS:
            return f"the database has more than {MAX_RECORDS} records; the rest were not read"
        if size > MAX_RECORD_BYTES:
            return f"record is {size} bytes, over the {MAX_RECORD_BYTES}-byte cap"
        if self.total + size > MAX_TOTAL_BYTES:
            return f"the database is over {MAX_TOTAL_BYTES} bytes; the rest were not read"
        self.total += size
        return ""


def read_record(member: Path, folder: Path, budget: Budget) -> bytes:
    """The bytes of one record file in `folder`, or a `Refused` saying why it was not read."""
    try:
        resolved = paths.checked_file(member, folder, "record")
        why = budget.admit(resolved.stat().st_size)
        if why:
            return Refused(why.encode())
        return paths.read_bytes(resolved, MAX_RECORD_BYTES, folder, "record")
    except paths.PathRefused as exc:
        return Refused(str(exc).replace(str(member), member.name).encode())
    except OSError as exc:
        return Refused(f"cannot be read: {exc.strerror or exc}".encode())


def check_structure(name: str, text: str) -> None:
    """Raise ValueError for YAML anchors/aliases or nesting deeper than MAX_DEPTH (no parse)."""
    if name.endswith(".json"):
        return  # json.loads has its own recursion guard; depth is checked after loading
    depth = 0
    for event in _events(text):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ValueError("YAML anchors and aliases are refused in OSV records")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def check_depth(data: Any) -> None:
    """Raise ValueError when loaded data nests deeper than MAX_DEPTH (iteratively)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)


def load_json(text: str) -> Any:
    try:
        loaded = json.loads(text)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    check_depth(loaded)
    return loaded


def _events(text: str) -> Iterator[yaml.Event]:
    parser = _PARSER(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()
