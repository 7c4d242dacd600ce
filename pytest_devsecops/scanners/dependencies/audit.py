"""Match dependencies to advisories: offline against an OSV database, online via pip-audit."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from packaging.version import Version

from ...core.finding import Skipped
from ...core.severity import Severity
from . import osv
from .model import Advisory, Dependency
from .osv_db import OsvDatabase


@dataclasses.dataclass(frozen=True)
class Match:
    """One vulnerability (all its aliases merged) affecting one pinned dependency."""

    dependency: Dependency
    ids: frozenset[str]
    summary: str
    fixed: tuple[str, ...]
    severity: Severity
    severity_source: str
    cwes: tuple[int, ...] = ()
    references: tuple[str, ...] = ()
    cvss_vector: str = ""
    cvss_score: float | None = None
    published: str = ""  # earliest of the merged records
    modified: str = ""  # latest of the merged records
    affected_ranges: tuple[str, ...] = ()  # e.g. ">=0, <2.10.1" per range of the package

    @property
    def primary(self) -> str:
        return osv.primary_id(self.ids)


@dataclasses.dataclass(frozen=True)
class AuditOutcome:
    """Matches, the smallest upgrade that clears each package, and what could not be audited."""

    matches: tuple[Match, ...] = ()
    upgrades: tuple[tuple[str, str], ...] = ()  # (canonical package, version) where one exists
    gaps: tuple[Skipped, ...] = ()
    audited: tuple[Dependency, ...] = ()


def offline(
    dependencies: Sequence[Dependency], database: OsvDatabase, default: Severity
) -> AuditOutcome:
    """Audit against the offline database; only unparseable versions are left unaudited."""
    matches, upgrades, gaps, audited = [], [], [], []
    for dependency in dependencies:
        version = dependency.parsed_version
        if version is None:
            gaps.append(
                _gap(dependency, f"version {dependency.version!r} is not a PEP 440 version")
            )
            continue
        audited.append(dependency)
        package = dependency.canonical
        hits = [a for a in database.advisories_for(package) if osv.affects(a, package, version)]
        for group in osv.merge(hits):
            matches.append(_match(dependency, group, version, default))
        if hits:
            upgrade = _smallest_clear_upgrade(package, version, hits)
            if upgrade is not None:
                upgrades.append((package, str(upgrade)))
    return AuditOutcome(tuple(matches), tuple(upgrades), tuple(gaps), tuple(audited))


def _match(
    dependency: Dependency, group: list[Advisory], version: Version, default: Severity
) -> Match:
    package = dependency.canonical
    rating = osv.rate(group, default)
    fixed = sorted(
        {v for advisory in group for v in osv.fixed_versions(advisory, package) if v > version}
    )
    first = min(group, key=lambda advisory: osv.primary_id([advisory.id]))
    return Match(
        dependency=dependency,
        ids=frozenset().union(*(advisory.ids for advisory in group)),
        summary=first.summary,
        fixed=tuple(str(v) for v in fixed),
        severity=rating.severity,
        severity_source=rating.source,
        cvss_vector=rating.vector,
        cvss_score=rating.score,
        cwes=tuple(sorted({cwe for advisory in group for cwe in advisory.cwes})),
        references=tuple(dict.fromkeys(ref for advisory in group for ref in advisory.references))[
            :3
        ],
        published=min((a.published for a in group if a.published), default=""),
        modified=max((a.modified for a in group if a.modified), default=""),
        affected_ranges=osv.describe_ranges(group, package),
    )


def _smallest_clear_upgrade(
    package: str, version: Version, hits: Iterable[Advisory]
) -> Version | None:
    """The lowest fixed version above `version` that no matched advisory still affects."""
    advisories = list(hits)
    candidates = sorted(
        {v for advisory in advisories for v in osv.fixed_versions(advisory, package) if v > version}
    )
    for candidate in candidates:
        if not any(osv.affects(advisory, package, candidate) for advisory in advisories):
            return candidate
    return None


def online(
    dependencies: Sequence[Dependency],
    service_name: str,
    timeout: float,
    default: Severity,
    cache_dir: Path | None = None,
    osv_url: str = "",
    budget: float | None = None,
) -> AuditOutcome:
    """Audit through pip-audit's own PyPI or OSV service; any failure is a gap, never clean.

    `timeout` bounds each query as a whole (a service that drips cannot stretch it) and
    `budget` the whole audit: what is left when it runs out is a gap, not clean.
    """
    from .pip_audit_adapter import QueryFailed, make_service, query

    service = make_service(service_name, timeout, cache_dir, osv_url)
    matches, gaps, audited = [], [], []
    unreachable = ""
    ends = time.monotonic() + budget if budget else None
    for dependency in dependencies:
        if not unreachable and ends is not None and time.monotonic() > ends:
            unreachable = f"not audited: the audit ran past its {budget:g}s budget"
        if unreachable:
            gaps.append(_gap(dependency, unreachable))
            continue
        if dependency.parsed_version is None:
            gaps.append(
                _gap(dependency, f"version {dependency.version!r} is not a PEP 440 version")
            )
            continue
        try:
            results = query(service, dependency, limit=timeout * 2)
        except QueryFailed as exc:
            reason = f"{service_name} advisory service failed: {exc}"
            gaps.append(_gap(dependency, reason))
            if exc.unreachable:
                # One connection failure means the rest would time out the same way.
                unreachable = f"not audited: the {service_name} advisory service is unreachable"
            continue
        if isinstance(results, str):
            gaps.append(_gap(dependency, results))
            continue
        audited.append(dependency)
        for ids, summary, fixed in _merge_aliases(results):
            matches.append(
                Match(
                    dependency=dependency,
                    ids=ids,
                    summary=summary,
                    fixed=fixed,
                    severity=default,
                    severity_source=f"{service_name} gives no severity; default {default} used",
                )
            )
    return AuditOutcome(tuple(matches), (), tuple(gaps), tuple(audited))


def _merge_aliases(
    results: list[tuple[frozenset[str], str, tuple[str, ...]]],
) -> list[tuple[frozenset[str], str, tuple[str, ...]]]:
    """One entry per vulnerability, by the same rule as offline (`osv.group_ids`)."""
    merged = []
    records = [(osv.primary_id(ids), ids) for ids, _, _ in results]
    for group in osv.group_ids(records):
        members = [results[i] for i in group]
        ids = frozenset().union(*(ids for ids, _, _ in members))
        fixed = sorted({v for _, _, versions in members for v in versions}, key=Version)
        merged.append((ids, members[0][1], tuple(fixed)))
    return merged


def _gap(dependency: Dependency, reason: str) -> Skipped:
    return Skipped(f"{dependency.name}=={dependency.version}", reason)
