"""A CycloneDX 1.6 SBOM of the audited dependencies and the vulnerabilities found in them."""

from __future__ import annotations

from typing import Any

from ..core.finding import Component as AuditedComponent
from ..core.finding import Finding
from ..core.policy import Verdict
from .interface import Report


class CycloneDxReporter:
    """Renders the dependency components and findings with cyclonedx-python-lib."""

    def render(self, report: Report) -> str:
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
        root = Component(type=ComponentType.APPLICATION, name=report.root.name, bom_ref="project")
        bom.metadata.component = root
        by_purl: dict[str, Any] = {}
        for component in _components(report):
            if component.purl in by_purl:
                continue
            by_purl[component.purl] = Component(
                type=ComponentType.LIBRARY,
                name=component.name,
                version=component.version,
                purl=PackageURL.from_string(component.purl),
                bom_ref=component.purl,
            )
            bom.components.add(by_purl[component.purl])
        bom.register_dependency(root, list(by_purl.values()))
        for finding, verdict in _dependency_findings(report):
            purl = dict(finding.details).get("purl", "")
            if purl in by_purl:
                bom.vulnerabilities.add(_vulnerability(finding, verdict, purl))
        outputter = make_outputter(bom, OutputFormat.JSON, SchemaVersion.V1_6)
        return str(outputter.output_as_string(indent=2)) + "\n"


def _components(report: Report) -> list[AuditedComponent]:
    found = [component for result in report.results for component in result.components]
    return sorted(found, key=lambda component: component.purl)


def _dependency_findings(report: Report) -> list[tuple[Finding, Verdict]]:
    pairs = [
        (decision.found, decision.verdict)
        for decision in report.decisions
        if decision.finding is not None and "purl" in dict(decision.finding.details)
    ]
    return sorted(pairs, key=lambda pair: (pair[0].rule, pair[0].fingerprint))


def _vulnerability(finding: Finding, verdict: Verdict, purl: str) -> Any:
    from cyclonedx.model import XsUri
    from cyclonedx.model.impact_analysis import ImpactAnalysisResponse, ImpactAnalysisState
    from cyclonedx.model.vulnerability import (
        BomTarget,
        Vulnerability,
        VulnerabilityAnalysis,
        VulnerabilityRating,
        VulnerabilityReference,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
        VulnerabilitySource,
    )

    details = dict(finding.details)
    vector = details.get("cvss", "")
    method = VulnerabilityScoreSource.OTHER
    if vector.startswith("CVSS:3"):
        method = (
            VulnerabilityScoreSource.CVSS_V3_1
            if "3.1" in vector
            else VulnerabilityScoreSource.CVSS_V3
        )
    elif vector.startswith("CVSS:4"):
        method = VulnerabilityScoreSource.CVSS_V4
    rating = VulnerabilityRating(
        severity=VulnerabilitySeverity(finding.severity.value),
        method=method,
        vector=vector or None,
    )
    aliases = [alias.strip() for alias in details.get("aliases", "").split(",") if alias.strip()]
    analysis = None
    if verdict is Verdict.ACCEPTED:
        analysis = VulnerabilityAnalysis(
            state=ImpactAnalysisState.EXPLOITABLE,
            responses=[ImpactAnalysisResponse.WILL_NOT_FIX],
            detail="risk accepted in the pytest-devsecops baseline",
        )
    return Vulnerability(
        bom_ref=f"{finding.rule}/{purl}",
        id=finding.rule,
        source=VulnerabilitySource(
            name="OSV", url=XsUri(f"https://osv.dev/vulnerability/{finding.rule}")
        ),
        references=[
            VulnerabilityReference(id=alias, source=VulnerabilitySource(name="OSV"))
            for alias in aliases
        ],
        description=finding.title,
        recommendation=finding.remediation,
        ratings=[rating],
        affects=[BomTarget(ref=purl)],
        analysis=analysis,
    )
