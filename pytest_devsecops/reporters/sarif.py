"""SARIF 2.1.0 for GitHub code scanning: one run per scanner, baselined findings suppressed."""

from __future__ import annotations

import json
from typing import Any

from ..core.finding import Finding, ScanResult
from ..core.policy import Decision, Verdict
from .interface import OUTCOME_WORDS, Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/pytest-devsecops/pytest-devsecops"


class SarifReporter:
    """Renders `Report` as a SARIF log that validates against the OASIS 2.1.0 schema."""

    def render(self, report: Report) -> str:
        runs = [_run(result, report) for result in report.results]
        log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": runs}
        return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _run(result: ScanResult, report: Report) -> dict[str, Any]:
    decisions = sorted(
        (d for d in report.decisions_for(result.scanner) if d.finding is not None),
        key=lambda d: d.finding.fingerprint if d.finding else "",
    )
    rules: dict[str, dict[str, Any]] = {}
    for decision in decisions:
        rules.setdefault(decision.found.rule, _rule(decision.found))
    rule_ids = sorted(rules)
    driver: dict[str, Any] = {
        "name": result.scanner,
        "fullName": f"pytest-devsecops {result.scanner} ({result.tool})",
        "informationUri": INFORMATION_URI,
        "rules": [rules[rule_id] for rule_id in rule_ids],
    }
    if result.version:
        driver["version"] = result.version
    notifications = [
        {"level": "error", "message": {"text": result.error}} for _ in [0] if result.error
    ] + [
        {
            "level": "warning" if not skip.deliberate else "note",
            "message": {"text": f"not scanned: {skip.target}: {skip.reason}"},
        }
        for skip in result.coverage.skipped
    ]
    return {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"devsecops/{result.scanner}/"},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": report.root.resolve().as_uri() + "/"}},
        "invocations": [
            {
                "executionSuccessful": result.complete,
                "toolExecutionNotifications": notifications,
            }
        ],
        "results": [_result(decision, rule_ids, report) for decision in decisions],
    }


def _rule(finding: Finding) -> dict[str, Any]:
    tags = ["security", f"devsecops/{finding.scanner}"]
    if finding.cwe:
        tags.append(f"external/cwe/cwe-{finding.cwe}")
    rule: dict[str, Any] = {
        "id": finding.rule,
        "name": finding.rule,
        "shortDescription": {"text": finding.title[:1000] or finding.rule},
        "fullDescription": {"text": finding.title or finding.rule},
        "help": {
            "text": finding.remediation or finding.title or finding.rule,
            "markdown": finding.remediation or finding.title or finding.rule,
        },
        "defaultConfiguration": {"level": finding.severity.sarif_level},
        "properties": {
            "tags": tags,
            "precision": _precision(finding.confidence),
            "security-severity": finding.severity.sarif_score,
        },
    }
    if finding.references:
        rule["helpUri"] = finding.references[0]
    return rule


def _precision(confidence: str) -> str:
    return {"high": "high", "medium": "medium", "low": "low", "confirmed": "very-high"}.get(
        confidence, "medium"
    )


def _result(decision: Decision, rule_ids: list[str], report: Report) -> dict[str, Any]:
    finding = decision.found
    text = finding.title or finding.rule
    if finding.location.url:
        text += f" ({finding.location.describe()})"
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_ids.index(finding.rule),
        "level": finding.severity.sarif_level,
        "message": {"text": text},
        "partialFingerprints": {"devsecops/v1": finding.fingerprint},
        "properties": {
            "severity": finding.severity.value,
            "outcome": OUTCOME_WORDS[decision.verdict],
        },
    }
    if finding.location.path:
        region: dict[str, Any] = {"startLine": max(finding.location.line, 1)}
        if finding.location.column:
            region["startColumn"] = finding.location.column
        if finding.snippet:  # already redacted by the scanner (secrets: the masked line)
            region["snippet"] = {"text": finding.snippet}
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.location.path, "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ]
    if decision.verdict in (Verdict.ACCEPTED, Verdict.EXPIRED) and decision.entry is not None:
        status = "accepted" if decision.verdict is Verdict.ACCEPTED else "rejected"
        result["suppressions"] = [
            {
                "kind": "external",
                "status": status,
                "justification": decision.entry.reason or "accepted in the baseline",
                "location": {
                    "physicalLocation": {
                        "artifactLocation": {"uri": report.baseline, "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": max(decision.entry.line, 1)},
                    }
                },
            }
        ]
    return result
