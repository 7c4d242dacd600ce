"""OSV advisories for an image's ecosystems: read from offline databases, matched per ecosystem.

A distro's records are matched only within that distro release (`Debian:12` never takes a
`Debian:11` fix) and compared with the distro's own version ordering; PyPI records go through
the dependency scanner's parser, so both scanners read a record the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cmp_to_key
from pathlib import Path
from typing import Any

import yaml

from ..dependencies import osv_db
from ..dependencies.model import Advisory
from ..dependencies.osv import RecordError, parse_record
from .ecosystems import Ecosystem, comparator


@dataclasses.dataclass(frozen=True)
class EcosystemIndex:
    """Advisories of one ecosystem by package name, and what could not be read."""

    ecosystem: Ecosystem
    by_package: Mapping[str, tuple[Advisory, ...]]
    records: int


@dataclasses.dataclass(frozen=True)
class OfflineAdvisories:
    """Every database's records for the ecosystems an image needs."""

    indexes: Mapping[str, EcosystemIndex]  # by ecosystem name
    sources: tuple[str, ...]
    problems: tuple[tuple[str, str], ...]


def load_offline(databases: Sequence[Path], ecosystems: Iterable[Ecosystem]) -> OfflineAdvisories:
    """Read each database once and keep the records about `ecosystems`."""
    wanted = sorted(set(ecosystems), key=lambda e: e.name)
    found: dict[str, dict[str, list[Advisory]]] = {e.name: {} for e in wanted}
    counts = dict.fromkeys(found, 0)
    problems: list[tuple[str, str]] = []
    for database in databases:
        for member, data in osv_db._read_members(database):
            if data and not any(e.name.encode() in data for e in wanted):
                continue  # cheap pre-filter: an ecosystem's all.zip holds tens of thousands
            try:
                record = osv_db._decode(member, data)
                matches = _parse(record, wanted)
            except (RecordError, ValueError, yaml.YAMLError, AttributeError, TypeError) as exc:
                problems.append(
                    (
                        f"{database.name}/{member}",
                        str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                    )
                )
                continue
            for ecosystem, advisory in matches:
                counts[ecosystem.name] += 1
                for package in sorted({item.package for item in advisory.affected}):
                    found[ecosystem.name].setdefault(package, []).append(advisory)
    indexes = {
        e.name: EcosystemIndex(
            e, {name: tuple(items) for name, items in found[e.name].items()}, counts[e.name]
        )
        for e in wanted
    }
    return OfflineAdvisories(indexes, tuple(str(db) for db in databases), tuple(problems))


def _parse(
    record: Mapping[str, Any], wanted: Sequence[Ecosystem]
) -> list[tuple[Ecosystem, Advisory]]:
    """The parts of one record about each wanted ecosystem, read as the dependency scanner reads
    PyPI records (one parser); a distro's only for that release."""
    matches = []
    for ecosystem in wanted:
        advisory = parse_record(record, ecosystem.matches, pypi_names=ecosystem.kind == "pypi")
        if advisory is not None:
            matches.append((ecosystem, advisory))
    return matches


def parse_for(record: Mapping[str, Any], ecosystem: Ecosystem) -> Advisory | None:
    """The part of one OSV record about `ecosystem`, or None when it is not about it; a record
    that cannot be read raises RecordError (an advisory the service named must not vanish)."""
    try:
        matches = _parse(record, [ecosystem])
    except (ValueError, AttributeError, TypeError) as exc:
        raise RecordError(f"{record.get('id', 'a record')}: {exc}") from None
    return matches[0][1] if matches else None


def affected_and_fixes(
    advisory: Advisory, package: str, version: str, ecosystem: Ecosystem
) -> tuple[bool, list[str]]:
    """Whether `version` of `package` is affected, and the record's fixed versions above it.

    Raises ValueError when the installed version cannot be ordered in its ecosystem: "not
    affected" would be a guess, so the caller reports the package as not checked.
    """
    key = comparator(ecosystem.kind)
    installed = key(version)
    name = package if ecosystem.kind != "pypi" else _canonical(package)
    hit = False
    fixes: list[tuple[Any, str]] = []
    for item in advisory.affected:
        if item.package != name:
            continue
        if version in item.versions or (
            ecosystem.kind == "pypi" and _pep440_listed(version, item.versions)
        ):
            hit = True
        for events in item.ranges:
            if _in_range(installed, events, key):
                hit = True
            for kind, text in events:
                if kind == "fixed":
                    try:
                        value = key(text)
                    except ValueError:
                        continue
                    if installed < value:
                        fixes.append((value, text))
    unique = {text: value for value, text in fixes}
    return hit, [text for _, text in _by_version((v, t) for t, v in unique.items())]


def _order(left: Any, right: Any) -> int:
    # Only `<` is used: univers' version classes implement `<` and `>` by the ecosystem's rules
    # but leave `<=`/`>=` to attrs, which compares the raw strings ("r9" >= "r10").
    return -1 if left < right else (1 if right < left else 0)


def _at_least(version: Any, bound: Any) -> bool:
    return not version < bound


def _by_version(pairs: Iterable[tuple[Any, str]]) -> list[tuple[Any, str]]:
    def compare(a: tuple[Any, str], b: tuple[Any, str]) -> int:
        return _order(a[0], b[0])

    return sorted(pairs, key=cmp_to_key(compare))


def _in_range(installed: Any, events: Iterable[tuple[str, str]], key: Callable[[str], Any]) -> bool:
    """OSV ECOSYSTEM range evaluation, walking the events in the ecosystem's version order."""
    affected = False
    points: list[tuple[Any, int, str]] = []
    limits = []
    for kind, text in events:
        if kind == "introduced" and text == "0":
            affected = True  # affected from the first version on
            continue
        try:
            value = key(text)
        except ValueError:
            continue  # a version the ecosystem cannot read states nothing
        if kind == "limit":
            limits.append(value)
        elif kind in ("introduced", "fixed", "last_affected"):
            # at equal versions, an introduction is applied before a fix
            points.append((value, 0 if kind == "introduced" else 1, kind))
    if any(_at_least(installed, limit) for limit in limits):
        return False

    def compare(a: tuple[Any, int, str], b: tuple[Any, int, str]) -> int:
        return _order(a[0], b[0]) or a[1] - b[1]

    points.sort(key=cmp_to_key(compare))
    for value, _, kind in points:
        if kind == "introduced" and _at_least(installed, value):
            affected = True
        elif (kind == "fixed" and _at_least(installed, value)) or (
            kind == "last_affected" and value < installed
        ):
            affected = False
    return affected


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


def _pep440_listed(version: str, listed: Sequence[str]) -> bool:
    from packaging.utils import canonicalize_version

    return canonicalize_version(version) in listed
