"""OSV records: parse them, decide whether a version is affected, and rate their severity."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version

from ...core.severity import Severity, from_cvss_score
from .model import Advisory, Affected

_CWE = re.compile(r"CWE-(\d+)")
_ID_RANK = ("PYSEC-", "GHSA-", "OSV-", "CVE-")


class RecordError(ValueError):
    """An OSV record that does not have the shape the schema requires."""


def _is_pypi(ecosystem: str) -> bool:
    return ecosystem.split(":")[0] == "PyPI"


def parse_record(
    data: Mapping[str, Any],
    about: Callable[[str], bool] = _is_pypi,
    pypi_names: bool = True,
) -> Advisory | None:
    """The part of an OSV record whose `affected[].package.ecosystem` passes `about` (PyPI by
    default), or None when it is withdrawn or about no such ecosystem. PyPI names and explicit
    versions are stored canonicalised (`pypi_names`); other ecosystems' are kept as written."""
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        raise RecordError("not an OSV record (no string 'id')")
    schema = str(data.get("schema_version") or "1.0.0")
    if schema.split(".")[0] != "1":
        # A future schema may change what the fields mean: reading it as 1.x could miss a match.
        raise RecordError(f"unsupported OSV schema_version {schema[:20]!r} (this reads 1.x)")
    if data.get("withdrawn"):
        return None
    if not isinstance(data.get("affected"), list):
        raise RecordError("has no 'affected' list, so nothing says which versions it affects")
    affected = []
    for item in data.get("affected") or ():
        package = item.get("package") or {}
        if not about(str(package.get("ecosystem", ""))) or not package.get("name"):
            continue
        ranges = tuple(
            tuple(
                (str(kind), str(version))
                for event in rng.get("events") or ()
                for kind, version in event.items()
            )
            for rng in item.get("ranges") or ()
            if rng.get("type") == "ECOSYSTEM"
        )
        listed = {str(v) for v in item.get("versions") or ()}
        name = str(package["name"])
        if pypi_names:
            # Stored canonicalised, so matching is a string lookup ("2.10.0" == "2.10.00").
            listed = {canonicalize_version(v) for v in listed}
            name = canonicalize_name(name)
        affected.append(Affected(name, ranges, tuple(sorted(listed))))
    if not affected:
        return None
    database = data.get("database_specific") or {}
    severity = [
        (str(entry.get("type", "")), str(entry.get("score", "")))
        for entry in data.get("severity") or ()
        if isinstance(entry, Mapping)
    ]
    cwes = tuple(
        int(match.group(1))
        for text in database.get("cwe_ids") or ()
        if (match := _CWE.fullmatch(str(text)))
    )
    references = tuple(
        str(ref["url"])
        for ref in data.get("references") or ()
        if isinstance(ref, Mapping)
        and ref.get("type") in ("ADVISORY", "REPORT", "WEB")
        and ref.get("url")
    )
    summary = str(data.get("summary") or data.get("details") or "").strip()
    return Advisory(
        id=str(data["id"]),
        aliases=tuple(sorted(str(alias) for alias in data.get("aliases") or ())),
        summary=" ".join(summary.split()),
        modified=str(data.get("modified") or ""),
        affected=tuple(affected),
        cvss=tuple(severity),
        database_severity=str(database.get("severity") or ""),
        cwes=cwes,
        references=references[:5],
        published=str(data.get("published") or ""),
    )


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def affects(advisory: Advisory, package: str, version: Version) -> bool:
    """Whether `version` of canonical `package` is affected, by the OSV evaluation rules."""
    normal = canonicalize_version(version)
    for item in advisory.affected:
        if item.package != package:
            continue
        if normal in item.versions:
            return True
        if any(_in_range(version, events) for events in item.ranges):
            return True
    return False


def _in_range(version: Version, events: Iterable[tuple[str, str]]) -> bool:
    """OSV ECOSYSTEM range evaluation: walk the events in version order."""
    parsed = []
    limits = []
    for kind, text in events:
        if kind == "introduced" and text == "0":
            parsed.append((Version("0"), 0, kind))
            continue
        value = _version(text)
        if value is None:
            continue  # a version PEP 440 cannot read cannot be compared: skip that event
        if kind == "limit":
            limits.append(value)
        elif kind in ("introduced", "fixed", "last_affected"):
            # at equal versions, an introduction is applied before a fix
            parsed.append((value, 0 if kind == "introduced" else 1, kind))
    if any(version >= limit for limit in limits):
        return False
    affected = False
    for value, _, kind in sorted(parsed):
        if kind == "introduced" and version >= value:
            affected = True
        elif (kind == "fixed" and version >= value) or (
            kind == "last_affected" and version > value
        ):
            affected = False
    return affected


def fixed_versions(advisory: Advisory, package: str) -> list[Version]:
    """Every `fixed` version the record names for `package`, ascending."""
    fixed = {
        value
        for item in advisory.affected
        if item.package == package
        for events in item.ranges
        for kind, text in events
        if kind == "fixed" and (value := _version(text)) is not None
    }
    return sorted(fixed)


@dataclasses.dataclass(frozen=True)
class Rating:
    """A severity on our scale, what it was read from, and the CVSS data when there is some."""

    severity: Severity
    source: str
    vector: str = ""
    score: float | None = None


def rate(advisories: Iterable[Advisory], default: Severity) -> Rating:
    """The highest severity any of the merged records states, and where it came from."""
    best: Rating | None = None
    for advisory in advisories:
        for candidate in _ratings(advisory):
            if best is None or candidate.severity > best.severity:
                best = candidate
    return best or Rating(default, f"the record states no severity; default {default} used")


def _ratings(advisory: Advisory) -> Iterable[Rating]:
    for kind, vector in advisory.cvss:
        score = cvss_base_score(kind, vector)
        if score is not None:
            source = f"{vector} (base score {score:.1f})"
            yield Rating(from_cvss_score(score), source, vector, score)
    if advisory.database_severity:
        try:
            level = Severity.parse(advisory.database_severity)
        except ValueError:
            return
        yield Rating(level, f"database_specific.severity {advisory.database_severity}")


def cvss_base_score(kind: str, vector: str) -> float | None:
    """The base score of a CVSS v3.x or v4 vector; None for other kinds or a malformed vector."""
    from cvss import CVSS3, CVSS4  # imported lazily: only advisories with vectors need it
    from cvss.exceptions import CVSSError

    calculators = {"CVSS_V3": CVSS3, "CVSS_V4": CVSS4}
    if kind not in calculators:
        return None
    try:
        return float(calculators[kind](vector).base_score)
    except CVSSError:
        return None  # a malformed vector states nothing; the next rating (or the default) applies


def merge(advisories: Iterable[Advisory]) -> list[list[Advisory]]:
    """Group the records that describe the same vulnerability; see `group_ids`."""
    items = list(advisories)
    return [[items[i] for i in group] for group in group_ids([(a.id, a.ids) for a in items])]


def group_ids(records: Sequence[tuple[str, frozenset[str]]]) -> list[list[int]]:
    """Indexes of records that are one vulnerability: their id sets overlap, across databases.

    Two ids of the *same* database (PYSEC-2021-335 and PYSEC-2021-370, say) are two
    vulnerabilities as far as that database is concerned, even when a shared alias links them;
    merging them could hide one, so they stay apart (pip-audit keeps PYSEC records apart too).
    """
    order = sorted(range(len(records)), key=lambda i: _rank(records[i][0]))
    groups: list[tuple[set[str], set[str], list[int]]] = []  # ids, databases, members
    for index in order:
        own_id, ids = records[index]
        database = _database(own_id)
        home = next((g for g in groups if g[0] & ids and database not in g[1]), None)
        if home is None:
            groups.append((set(ids), {database}, [index]))
        else:
            home[0].update(ids)
            home[1].add(database)
            home[2].append(index)
    return [sorted(members) for _, _, members in groups]


def _database(identifier: str) -> str:
    return identifier.split("-", 1)[0]


def _rank(identifier: str) -> tuple[int, str]:
    for position, prefix in enumerate(_ID_RANK):
        if identifier.startswith(prefix):
            return (position if prefix != "CVE-" else len(_ID_RANK), identifier)
    return (len(_ID_RANK) - 1, identifier)


def primary_id(ids: Iterable[str]) -> str:
    """The id a finding is named by: PYSEC, then GHSA, then others, then CVE; stable."""
    return min(ids, key=_rank)


def describe_ranges(advisories: Iterable[Advisory], package: str) -> tuple[str, ...]:
    """Each ECOSYSTEM range affecting `package` as text (">=1.0, <1.2"), and listed versions."""
    described: dict[str, None] = {}
    for advisory in advisories:
        for affected in advisory.affected:
            if affected.package != package:
                continue
            for events in affected.ranges:
                parts: list[str] = []
                for event, version in events:
                    if event == "introduced":
                        if parts:
                            described.setdefault(", ".join(parts), None)
                        parts = [f">={version}"]
                    elif event == "fixed":
                        parts.append(f"<{version}")
                    elif event == "last_affected":
                        parts.append(f"<={version}")
                if parts:
                    described.setdefault(", ".join(parts), None)
            if affected.versions and not affected.ranges:
                described.setdefault(" | ".join(f"=={v}" for v in affected.versions), None)
    return tuple(described)
