"""The `pip-audit` scanner: one finding per (package, vulnerability), every gap accounted for."""

from __future__ import annotations

import datetime
import time
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

from ...core.finding import Component, Coverage, Finding, Location, ScanResult, Skipped
from ...core.redact import printable
from ...core.severity import Severity
from ..interface import ScanContext
from . import audit, canary, osv_db, sources
from .audit import AuditOutcome, Match
from .model import Dependency

_METADATA_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


class PipAuditScanner:
    """Audits pinned dependencies offline (an OSV database) or online (pip-audit's services)."""

    name = "pip-audit"

    def __init__(
        self,
        *,
        requirements: tuple[Path, ...] = (),
        osv_db: Path | None = None,
        more_dbs: tuple[Path, ...] = (),
        service: str = "pypi",
        osv_url: str = "",
        timeout: float = 15.0,
        default_severity: Severity = Severity.HIGH,
        skip: tuple[str, ...] = (),
        max_age_days: int | None = None,
    ) -> None:
        self.requirements = requirements
        self.osv_db = osv_db
        self.more_dbs = more_dbs  # further databases listed in devsecops_osv_db, read as one
        self.service = service
        self.osv_url = osv_url
        self.timeout = timeout
        self.default_severity = default_severity
        self.skip = frozenset(canonicalize_name(name) for name in skip)
        self.max_age_days = max_age_days

    def scan(self, context: ScanContext) -> ScanResult:
        started = time.monotonic()
        # pip-audit is this scanner's engine: without it the status fails with the pip line.
        import pip_audit  # noqa: F401

        version = metadata.version("pip-audit")
        if self.requirements:
            collected = sources.collect(list(self.requirements), context.root)
        else:
            collected = sources.from_environment(_metadata_file(context.root))
        wanted, deliberate = self._apply_skip(collected.dependencies)
        gaps = tuple(gap for gap in collected.gaps if not self._declared(gap))
        deliberate += tuple(
            Skipped(gap.target, f"{gap.reason}; declared in devsecops_audit_skip", deliberate=True)
            for gap in collected.gaps
            if self._declared(gap)
        )
        notes: list[str] = []
        error = ""
        if self.osv_db is not None:
            try:
                database = osv_db.load(self.osv_db, context.cache_dir, self.more_dbs)
            except (osv_db.DatabaseError, OSError) as exc:
                return self._failed(
                    version,
                    collected,
                    f"the offline OSV database cannot be used: {exc}",
                    "set devsecops_osv_db to a folder of OSV records or an OSV all.zip",
                )
            if not database.by_package:
                # Matching against nothing would make every dependency look clean.
                return self._failed(
                    version,
                    collected,
                    f"the offline OSV database {self.osv_db} holds no PyPI advisories "
                    f"({database.records} records read)",
                    "point devsecops_osv_db at a folder of PyPI OSV records (e.g. the vulns/ "
                    "folder of pypa/advisory-database) or OSV's PyPI all.zip",
                )
            today = datetime.date.today()
            notes.append(_describe(database, today))
            future = database.future(today)
            if future:
                shown = ", ".join(f"{name} ({date})" for date, name in future[:5])
                more = f" and {len(future) - 5} more" if len(future) > 5 else ""
                notes.append(
                    f"{len(future)} record(s) dated in the future, ignored for the database's "
                    f"age: {shown}{more}"
                )
            gaps += tuple(
                Skipped(f"advisory {name}", f"record problem: {why}")
                for name, why in database.problems
            )
            error = canary.check(self.default_severity) or self._age_error(database, today)
            outcome = audit.offline(wanted, database, self.default_severity)
        else:
            notes.append(
                f"online: pip-audit's {self.service} service"
                + (f" at {self.osv_url}" if self.osv_url else "")
            )
            outcome = audit.online(
                wanted,
                self.service,
                self.timeout,
                self.default_severity,
                context.cache_dir,
                self.osv_url,
                budget=context.timeout,
            )
            if wanted and not outcome.audited:
                error = (
                    f"no dependency could be audited: the {self.service} advisory service "
                    "did not answer"
                )
        gaps += outcome.gaps
        if not collected.dependencies and not collected.gaps and not error:
            error = "found no dependencies to audit"
        findings = tuple(self._findings(outcome))
        components = tuple(
            Component(dep.name, dep.version, dep.purl, dep.path, dep.line)
            for dep in collected.dependencies
        )
        return ScanResult(
            self.name,
            "pip-audit",
            version,
            findings,
            Coverage(
                requested=collected.requested,
                scanned=tuple(f"{d.name}=={d.version}" for d in outcome.audited),
                skipped=gaps + deliberate,
                unit="dependencies",
            ),
            error=error,
            hint=_hint(error, gaps),
            notes=tuple(notes),
            duration=time.monotonic() - started,
            components=components,
        )

    def _apply_skip(
        self, dependencies: tuple[Dependency, ...]
    ) -> tuple[list[Dependency], tuple[Skipped, ...]]:
        wanted = [dep for dep in dependencies if dep.canonical not in self.skip]
        skipped = tuple(
            Skipped(
                f"{dep.name}=={dep.version}", "declared in devsecops_audit_skip", deliberate=True
            )
            for dep in dependencies
            if dep.canonical in self.skip
        )
        return wanted, skipped

    def _declared(self, gap: Skipped) -> bool:
        """Whether a gap is about a package the user declared as not auditable."""
        return canonicalize_name(gap.target.split(" ", 1)[0].split("==", 1)[0]) in self.skip

    def _age_error(self, database: osv_db.OsvDatabase, today: datetime.date) -> str:
        if self.max_age_days is None:
            return ""
        age = database.age_days(today)
        if age is None:
            return (
                "the offline OSV database has no record dated today or earlier, so its age is "
                "unknown (set devsecops_osv_max_age_days = off to accept that)"
            )
        if age > self.max_age_days:
            return (
                f"the offline OSV database is {age} days old (newest record "
                f"{database.newest_on(today)}), older than devsecops_osv_max_age_days="
                f"{self.max_age_days}; refresh it (or set devsecops_osv_max_age_days = off)"
            )
        return ""

    def _failed(
        self, version: str, collected: sources.Collected, error: str, hint: str
    ) -> ScanResult:
        return ScanResult(
            self.name,
            "pip-audit",
            version,
            error=error,
            hint=hint,
            coverage=Coverage(requested=collected.requested, unit="dependencies"),
        )

    def _findings(self, outcome: AuditOutcome) -> list[Finding]:
        upgrades = dict(outcome.upgrades)
        per_package: dict[str, int] = {}
        for match in outcome.matches:
            per_package[match.dependency.canonical] = (
                per_package.get(match.dependency.canonical, 0) + 1
            )
        seen: set[tuple[str, str]] = set()
        findings = []
        for match in sorted(
            outcome.matches, key=lambda m: (m.dependency.path, m.dependency.line, m.primary)
        ):
            key = (match.dependency.canonical, match.primary)
            if key in seen:
                continue  # one item per (package, vulnerability), whichever file pins it
            seen.add(key)
            findings.append(_finding(match, upgrades.get(key[0]), per_package[key[0]]))
        return findings


def _finding(match: Match, upgrade: str | None, advisories_on_package: int) -> Finding:
    dep = match.dependency
    others = sorted(match.ids - {match.primary})
    details = [
        ("installed", f"{dep.name} {dep.version}"),
        ("purl", dep.purl),
    ]
    if others:
        details.append(("aliases", ", ".join(others)))
    details.append(
        ("fixed in", ", ".join(match.fixed) if match.fixed else "no fixed version published")
    )
    if upgrade:
        details.append(
            (
                "smallest safe upgrade",
                f"{dep.name} {upgrade} (clears all {advisories_on_package} known "
                f"advisor{'y' if advisories_on_package == 1 else 'ies'} "
                f"on {dep.name} {dep.version})",
            )
        )
    details.append(("severity from", match.severity_source))
    if match.cvss_vector:
        details.append(("cvss", match.cvss_vector))
    if match.cvss_score is not None:
        details.append(("cvss score", f"{match.cvss_score:.1f}"))
    if len(match.cwes) > 1:
        details.append(("cwes", ", ".join(f"CWE-{cwe}" for cwe in match.cwes)))
    if match.affected_ranges:
        details.append(("affected", "; ".join(match.affected_ranges)))
    if match.published:
        details.append(("published", match.published))
    if match.modified:
        details.append(("modified", match.modified))
    if upgrade:
        remediation = f"Upgrade {dep.name} to {upgrade} or later."
    elif match.fixed:
        remediation = f"Upgrade {dep.name} to {match.fixed[0]} or later (fixes this advisory)."
    else:
        remediation = (
            "No fixed version is published: remove or replace the dependency, mitigate, "
            "or accept the risk in the baseline with a reason."
        )
    summary = printable(match.summary) or match.primary
    return Finding(
        scanner=PipAuditScanner.name,
        rule=match.primary,
        title=summary if len(summary) <= 200 else summary[:197] + "...",
        severity=match.severity,
        location=Location(path=dep.path, line=dep.line),
        # Not the version: an accepted risk stays accepted across an upgrade that is still affected.
        identity=f"{dep.canonical}\x1f{match.primary}",
        cwe=match.cwes[0] if match.cwes else None,
        remediation=remediation,
        references=(f"https://osv.dev/vulnerability/{match.primary}", *match.references)[:3],
        label=f"{dep.canonical}=={dep.version}",
        details=tuple(details),
    )


def _metadata_file(root: Path) -> str:
    for name in _METADATA_FILES:
        if (root / name).is_file():
            return name
    return ""


def _describe(database: osv_db.OsvDatabase, today: datetime.date) -> str:
    age = database.age_days(today)
    dated = (
        f", newest record {database.newest_on(today)} ({age} days old)" if age is not None else ""
    )
    cache = ", parsed index from cache" if database.cached else ""
    return f"offline OSV database {database.source}: {database.records} records{dated}{cache}"


def _hint(error: str, gaps: tuple[Skipped, ...]) -> str:
    if (
        "unreachable" in error
        or "did not answer" in error
        or any("unreachable" in g.reason for g in gaps)
    ):
        return (
            "check the network, or audit offline with devsecops_osv_db = <folder of OSV records or "
            "all.zip>"
        )
    if gaps:
        return (
            "pin every dependency with ==, or declare packages that are not on PyPI in "
            "devsecops_audit_skip"
        )
    return ""
