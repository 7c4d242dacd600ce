"""The offline OSV database: a folder of records or an OSV `all.zip`, indexed by package.

Records are read with YAML's base loader, which keeps every scalar a string: an unquoted
`fixed: 1.10` stays "1.10" instead of becoming the float 1.1. A zip is read member by member
and never extracted. The parsed index is cached by the database's content.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import json
import os
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ...core.atomic import write_atomic
from . import osv_guard
from .model import Advisory
from .osv import RecordError, parse_record

SUFFIXES = (".json", ".yaml", ".yml")
MAX_RECORD_BYTES = osv_guard.MAX_RECORD_BYTES
CACHE_FORMAT = 3  # 2: explicit versions stored canonicalised; 3: every record's date kept
_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class DatabaseError(Exception):
    """The database cannot be used at all (missing, not a folder or zip, unreadable)."""


@dataclasses.dataclass(frozen=True)
class OsvDatabase:
    """Advisories by canonical package name, plus what the status item reports about them."""

    source: str
    records: int
    # (YYYY-MM-DD `modified` date, record name) of every record with a valid date, newest first.
    dated: tuple[tuple[str, str], ...]
    by_package: Mapping[str, tuple[Advisory, ...]]
    problems: tuple[tuple[str, str], ...] = ()  # (record, why it could not be read)
    cached: bool = False

    @property
    def newest(self) -> str:
        """The newest date of any record, future-dated ones included ("" if none is dated)."""
        return self.dated[0][0] if self.dated else ""

    def newest_on(self, today: datetime.date) -> str:
        """The newest date not after `today`: a record dated in the future says nothing."""
        limit = today.isoformat()
        return next((date for date, _ in self.dated if date <= limit), "")

    def future(self, today: datetime.date) -> tuple[tuple[str, str], ...]:
        """Records dated after `today` (a wrong clock, or an attempt to make the data look new)."""
        limit = today.isoformat()
        return tuple(item for item in self.dated if item[0] > limit)

    def advisories_for(self, package: str) -> tuple[Advisory, ...]:
        return self.by_package.get(package, ())

    def age_days(self, today: datetime.date) -> int | None:
        newest = self.newest_on(today)
        if not newest:
            return None
        return (today - datetime.date.fromisoformat(newest)).days


def load(path: Path, cache_dir: Path | None = None, more: Sequence[Path] = ()) -> OsvDatabase:
    """Load the database at `path` (and `more` databases, read as one: e.g. one export per
    ecosystem), from the cache when their content has not changed."""
    raw = list(_read_members(path))
    for index, extra in enumerate(more, start=1):
        raw += [(f"{index}:{name}", data) for name, data in _read_members(extra)]
    source = " ".join(str(item) for item in (path, *more))
    key = hashlib.sha256()
    for name, data in raw:
        key.update(name.encode("utf-8", "surrogateescape") + b"\0")
        key.update(hashlib.sha256(data).digest())
    digest = key.hexdigest()[:32]
    cache_file = cache_dir / f"osv-index-{digest}.json" if cache_dir else None
    if cache_file is not None and cache_file.is_file():
        with contextlib.suppress(ValueError, KeyError, TypeError, OSError):
            return _from_cache(cache_file, source)
    database = _parse(source, raw)
    if cache_file is not None:
        _store(cache_file, database)
    return database


def from_members(source: str, members: list[tuple[str, bytes]]) -> OsvDatabase:
    """Index records given as (name, content) pairs, exactly as a database on disk would be."""
    return _parse(source, members)


def _read_members(path: Path) -> Iterator[tuple[str, bytes]]:
    budget = osv_guard.Budget()  # records and bytes, for a folder and a zip alike
    if path.is_dir():
        # os.walk does not descend into symlinked folders; each record is checked on its own.
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(name for name in dirs if not name.startswith("."))
            for name in sorted(files):
                if name.endswith(SUFFIXES):
                    member = Path(folder, name)
                    data = osv_guard.read_record(member, path, budget)
                    yield member.relative_to(path).as_posix(), data
    elif path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda item: item.filename):
                if info.is_dir() or not info.filename.endswith(SUFFIXES):
                    continue
                why = budget.admit(info.file_size)
                if why:
                    yield info.filename, osv_guard.Refused(why.encode())
                    continue
                yield info.filename, archive.read(info)
    elif path.exists():
        raise DatabaseError(f"{path} is neither a folder of OSV records nor a zip of them")
    else:
        raise DatabaseError(f"{path} does not exist")


def _parse(source: str, raw: list[tuple[str, bytes]]) -> OsvDatabase:
    by_package: dict[str, list[Advisory]] = {}
    problems = []
    dated = []
    for name, data in raw:
        try:
            record = _decode(name, data)
            advisory = parse_record(record)
        # One hostile or broken record (bad encoding, nesting deep enough to exhaust the stack,
        # a wrong type anywhere) is named and skipped; it must not take the whole audit down.
        except Exception as exc:
            problems.append((name, _why(exc)))
            continue
        modified = _date(record.get("modified"))
        if modified is None:
            problems.append(
                (name, f"'modified' is not an RFC 3339 date: {str(record.get('modified'))[:40]!r}")
            )
        else:
            dated.append((modified, name))
        if advisory is None:
            continue
        for package in sorted({item.package for item in advisory.affected}):
            by_package.setdefault(package, []).append(advisory)
    return OsvDatabase(
        source=source,
        records=len(raw),
        dated=tuple(sorted(dated, reverse=True)),
        by_package={name: tuple(items) for name, items in by_package.items()},
        problems=tuple(problems),
    )


def _why(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:200] or type(exc).__name__


def _date(value: object) -> str | None:
    """The YYYY-MM-DD of an RFC 3339 timestamp, or None when it is not one."""
    text = str(value or "")
    try:
        return datetime.date.fromisoformat(text[:10]).isoformat() if len(text) >= 10 else None
    except ValueError:
        return None


def _decode(name: str, data: bytes) -> Mapping[str, Any]:
    if isinstance(data, osv_guard.Refused):
        raise RecordError(data.why)
    if not data:
        raise RecordError("empty or too large")
    text = data.decode("utf-8")
    osv_guard.check_structure(name, text)  # aliases, depth: refused before parsing
    if name.endswith(".json"):
        loaded = osv_guard.load_json(text)
    else:
        loader = _LOADER(text)
        try:
            loaded = loader.get_single_data()
        finally:
            loader.dispose()
    if not isinstance(loaded, Mapping):
        raise RecordError("not a mapping")
    return loaded


def _store(cache_file: Path, database: OsvDatabase) -> None:
    payload = {
        "format": CACHE_FORMAT,
        "records": database.records,
        "dated": [list(item) for item in database.dated],
        "problems": [list(problem) for problem in database.problems],
        "by_package": {
            name: [advisory.to_json() for advisory in advisories]
            for name, advisories in database.by_package.items()
        },
    }
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        for stale in cache_file.parent.glob("osv-index-*.json"):
            stale.unlink()
        write_atomic(cache_file, json.dumps(payload, separators=(",", ":")).encode("utf-8"))


def _from_cache(cache_file: Path, source: str) -> OsvDatabase:
    payload = json.loads(cache_file.read_text(encoding="utf-8"))
    if payload["format"] != CACHE_FORMAT:
        raise ValueError("old cache format")
    return OsvDatabase(
        source=source,
        records=payload["records"],
        dated=tuple((date, name) for date, name in payload["dated"]),
        by_package={
            name: tuple(Advisory.from_json(item) for item in items)
            for name, items in payload["by_package"].items()
        },
        problems=tuple((name, why) for name, why in payload["problems"]),
        cached=True,
    )
