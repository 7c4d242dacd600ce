"""Frozen types of the dependency audit: a declared dependency and an advisory."""

from __future__ import annotations

import dataclasses
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


@dataclasses.dataclass(frozen=True)
class Dependency:
    """One pinned dependency, and the file and line that pin it ("" for the environment)."""

    name: str
    version: str
    path: str = ""
    line: int = 0

    @property
    def canonical(self) -> str:
        return canonicalize_name(self.name)

    @property
    def parsed_version(self) -> Version | None:
        try:
            return Version(self.version)
        except InvalidVersion:
            return None

    @property
    def purl(self) -> str:
        return f"pkg:pypi/{self.canonical}@{self.version}"


@dataclasses.dataclass(frozen=True)
class Affected:
    """One `affected` entry of an OSV record, reduced to what matching needs."""

    package: str  # canonical name
    ranges: tuple[tuple[tuple[str, str], ...], ...] = ()  # ECOSYSTEM ranges: (event, version)*
    versions: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Advisory:
    """An OSV advisory as we keep it: ids, text, what it affects, and its severity data."""

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    modified: str = ""
    affected: tuple[Affected, ...] = ()
    cvss: tuple[tuple[str, str], ...] = ()  # (type, vector), e.g. ("CVSS_V3", "CVSS:3.1/...")
    database_severity: str = ""
    cwes: tuple[int, ...] = ()
    references: tuple[str, ...] = ()
    published: str = ""

    @property
    def ids(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases))

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Advisory:
        """Rebuild an advisory from `to_json` output (the parsed-database cache)."""
        return cls(
            id=data["id"],
            aliases=tuple(data["aliases"]),
            summary=data["summary"],
            modified=data["modified"],
            affected=tuple(
                Affected(
                    package=item["package"],
                    ranges=tuple(tuple((k, v) for k, v in rng) for rng in item["ranges"]),
                    versions=tuple(item["versions"]),
                )
                for item in data["affected"]
            ),
            cvss=tuple((kind, vector) for kind, vector in data["cvss"]),
            database_severity=data["database_severity"],
            cwes=tuple(data["cwes"]),
            references=tuple(data["references"]),
            # Required: a cache written before `published` existed is re-parsed, not trusted.
            published=data["published"],
        )
