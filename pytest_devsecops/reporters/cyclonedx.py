"""A CycloneDX 1.6 SBOM of the product: its components, and the vulnerabilities found in them.

The subject is the project of `[project]` (the folder name only without one). For an audit of
the environment, the components are the closure of the project's declared dependencies, so the
test toolchain is not listed as part of the product unless `devsecops_sbom_scope = environment`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ..core.finding import Component as AuditedComponent
from ..core.policy import Decision, Verdict
from . import sbom_project
from .interface import Report

SCOPES = ("project", "environment")
# Where each kind of identifier is published, for the vulnerability source and references.
_SOURCES = (
    ("CVE-", "NVD", "https://nvd.nist.gov/vuln/detail/{}"),
    ("GHSA-", "GitHub", "https://github.com/advisories/{}"),
    ("PYSEC-", "OSV", "https://osv.dev/vulnerability/{}"),
)
# A baseline reason may start with the CycloneDX analysis state the team decided on.
_DECLARED_STATES = ("not_affected", "false_positive", "exploitable", "resolved", "in_triage")


class CycloneDxReporter:
    """Renders the product's components and their vulnerabilities with cyclonedx-python-lib."""

    def __init__(self, scope: str = "project", environment_audit: bool = False) -> None:
        self.scope = scope
        self.environment_audit = environment_audit

    def render(self, report: Report) -> str:
        from cyclonedx.model import Property
        from cyclonedx.model.bom import Bom
        from cyclonedx.model.component import Component, ComponentType
        from cyclonedx.output import make_outputter
        from cyclonedx.schema import OutputFormat, SchemaVersion
        from packageurl import PackageURL

        bom = Bom()
        bom.metadata.tools.components.add(
            Component(
                type=ComponentType.APPLICATION,
                name="pytest-devsecops",
                version=report.plugin_version,
            )
        )
        product = sbom_project.project(report.root)
        if product is not None:
            root = Component(
                type=ComponentType.APPLICATION,
                name=product.name,
                version=product.version or None,
                purl=PackageURL.from_string(product.purl),
                bom_ref=product.purl,
            )
        else:
            root = Component(
                type=ComponentType.APPLICATION, name=report.root.name, bom_ref="project"
            )
        bom.metadata.component = root
        components, scope_note = self._components(report, product)
        bom.metadata.properties.add(Property(name="pytest-devsecops:sbom-scope", value=scope_note))
        by_purl: dict[str, Any] = {}
        for component in components:
            if component.purl in by_purl:
                continue
            by_purl[component.purl] = Component(
                type=ComponentType.LIBRARY,
                name=component.name,
                version=component.version,
                purl=PackageURL.from_string(component.purl),
                bom_ref=component.purl,
                hashes=_hashes(report.root, component),
            )
            bom.components.add(by_purl[component.purl])
        bom.register_dependency(root, list(by_purl.values()))
        for decision in _dependency_decisions(report):
            purl = dict(decision.found.details).get("purl", "")
            if purl in by_purl:
                bom.vulnerabilities.add(_vulnerability(decision, purl, report.baseline))
        outputter = make_outputter(bom, OutputFormat.JSON, SchemaVersion.V1_6)
        return str(outputter.output_as_string(indent=2)) + "\n"

    def _components(
        self, report: Report, product: sbom_project.Project | None
    ) -> tuple[list[AuditedComponent], str]:
        found = [component for result in report.results for component in result.components]
        found.sort(key=lambda component: component.purl)
        if not self.environment_audit:
            return found, "the audited requirements files"
        if self.scope == "environment":
            return found, "environment: everything installed where pytest ran"
        if product is None or product.dependencies is None:
            return found, "environment: no [project] dependencies to narrow it down"
        wanted = sbom_project.closure(product.dependencies)
        own = canonicalize_name(product.name)
        kept = [c for c in found if canonicalize_name(c.name) in wanted - {own}]
        return kept, "project: the closure of [project].dependencies as installed"


def _hashes(root: Path, component: AuditedComponent) -> list[Any]:
    """The hashes the pinning file gives (`--hash`, pylock), as CycloneDX hashes."""
    from cyclonedx.model import HashAlgorithm, HashType

    algorithms = {
        "sha256": HashAlgorithm.SHA_256,
        "sha384": HashAlgorithm.SHA_384,
        "sha512": HashAlgorithm.SHA_512,
    }
    return [
        HashType(alg=algorithms[alg], content=value)
        for alg, value in sbom_project.hashes(root, component)
        if alg in algorithms
    ]


def _dependency_decisions(report: Report) -> list[Decision]:
    chosen = [
        decision
        for decision in report.decisions
        if decision.finding is not None and "purl" in dict(decision.finding.details)
    ]
    return sorted(chosen, key=lambda d: (d.found.rule, d.found.fingerprint))


def source_of(identifier: str) -> tuple[str, str]:
    """(name, url) of the database that publishes `identifier`; OSV for anything else."""
    for prefix, name, url in _SOURCES:
        if identifier.startswith(prefix):
            return name, url.format(identifier)
    return "OSV", f"https://osv.dev/vulnerability/{identifier}"


def _vulnerability(decision: Decision, purl: str, baseline: str) -> Any:
    from cyclonedx.model import XsUri
    from cyclonedx.model.impact_analysis import ImpactAnalysisAffectedStatus
    from cyclonedx.model.vulnerability import (
        BomTarget,
        BomTargetVersionRange,
        Vulnerability,
        VulnerabilityReference,
        VulnerabilitySource,
    )

    finding = decision.found
    details = dict(finding.details)
    aliases = [alias.strip() for alias in details.get("aliases", "").split(",") if alias.strip()]
    name, url = source_of(finding.rule)
    cwes = {finding.cwe} if finding.cwe else set()
    cwes |= {int(c[4:]) for c in details.get("cwes", "").split(", ") if c.startswith("CWE-")}
    ranges = [
        BomTargetVersionRange(
            range="vers:pypi/"
            + "|".join(part.strip() for part in text.split(",")).replace(" ", ""),
            status=ImpactAnalysisAffectedStatus.AFFECTED,
        )
        for text in details.get("affected", "").split("; ")
        if text.strip() and "==" not in text
    ]
    return Vulnerability(
        bom_ref=f"{finding.rule}/{purl}",
        id=finding.rule,
        source=VulnerabilitySource(name=name, url=XsUri(url)),
        references=[
            VulnerabilityReference(
                id=alias,
                source=VulnerabilitySource(
                    name=source_of(alias)[0], url=XsUri(source_of(alias)[1])
                ),
            )
            for alias in aliases
        ],
        cwes=sorted(cwes),
        description=finding.title,
        recommendation=finding.remediation,
        ratings=[_rating(finding.severity.value, details)],
        published=_date(details.get("published", "")),
        updated=_date(details.get("modified", "")),
        affects=[BomTarget(ref=purl, versions=ranges)],
        analysis=_analysis(decision, baseline),
    )


def _rating(severity: str, details: dict[str, str]) -> Any:
    from cyclonedx.model.vulnerability import (
        VulnerabilityRating,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
    )

    vector = details.get("cvss", "")
    method = VulnerabilityScoreSource.OTHER
    if vector.startswith("CVSS:3.1"):
        method = VulnerabilityScoreSource.CVSS_V3_1
    elif vector.startswith("CVSS:3"):
        method = VulnerabilityScoreSource.CVSS_V3
    elif vector.startswith("CVSS:4"):
        method = VulnerabilityScoreSource.CVSS_V4
    score = details.get("cvss score")
    return VulnerabilityRating(
        severity=VulnerabilitySeverity(severity),
        score=Decimal(score) if score else None,
        method=method,
        vector=vector or None,
    )


def _analysis(decision: Decision, baseline: str) -> Any:
    """The team's own words for an accepted (or expired) risk; nothing for a new finding."""
    from cyclonedx.model.impact_analysis import ImpactAnalysisState
    from cyclonedx.model.vulnerability import VulnerabilityAnalysis

    entry = decision.entry
    if entry is None or decision.verdict not in (Verdict.ACCEPTED, Verdict.EXPIRED):
        return None
    state = ImpactAnalysisState.IN_TRIAGE
    declared = entry.reason.split(":", 1)[0].strip().lower().replace("-", "_")
    if declared in _DECLARED_STATES:
        state = ImpactAnalysisState(declared)
    expires = entry.expires.isoformat() if entry.expires else "never"
    verb = "accepted" if decision.verdict is Verdict.ACCEPTED else "acceptance EXPIRED"
    detail = (
        f"{verb} in {baseline}: {entry.reason or '(no reason given)'} "
        f"(owner: {entry.owner or 'none'}; expires: {expires})"
    )
    return VulnerabilityAnalysis(state=state, detail=detail)


def _date(text: str) -> datetime.datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)
