"""SARIF 2.1.0 for GitHub code scanning: one run per scanner, a location on every result.

GitHub rejects a whole upload for one result without a location, ignores SARIF suppressions
(so accepted findings would show as open alerts), and closes an alert only when a later run of
the same category no longer reports it. Hence: paths relative to the repository root, URL
findings placed on the file that declares the app, every scanner's run written even when
empty, and by default only the findings that fail.
"""

from __future__ import annotations

import json
from typing import Any

from ..core.finding import Finding, ScanResult
from ..core.policy import Decision, Verdict
from ..core.redact import json_safe
from ..core.severity import Severity
from .interface import OUTCOME_WORDS, Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/pytest-devsecops/pytest-devsecops"


class SarifReporter:
    """Renders `Report` as a SARIF log that validates against the OASIS 2.1.0 schema.

    `include_all` also writes accepted and below-gate findings, with suppressions, for audit
    tools that read them (GitHub does not: it would show them as open alerts).
    """

    def __init__(self, include_all: bool = False) -> None:
        self.include_all = include_all

    def render(self, report: Report) -> str:
        runs = [_run(result, report, self.include_all) for result in report.results]
        log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": runs}
        return json_safe(json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def _written(decision: Decision, include_all: bool) -> bool:
    if decision.finding is None or decision.verdict is Verdict.IGNORED:
        return False  # a stale entry has nothing to locate; a policy rule dropped the other
    return include_all or decision.verdict in (Verdict.NEW, Verdict.EXPIRED, Verdict.REFUSED)


def _run(result: ScanResult, report: Report, include_all: bool) -> dict[str, Any]:
    decisions = sorted(
        (d for d in report.decisions_for(result.scanner) if _written(d, include_all)),
        key=lambda d: d.found.fingerprint,
    )
    rules: dict[str, dict[str, Any]] = {}
    for decision in decisions:
        rules.setdefault(decision.found.rule, _rule(decision.found))
        _raise_severity(rules[decision.found.rule], decision.found.severity)
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
    if result.unavailable:
        notifications.append(
            {"level": "warning", "message": {"text": f"not run: {result.unavailable}"}}
        )
    return {
        "tool": {"driver": driver},
        # One category per scanner: a later run of the same category closes fixed alerts.
        "automationDetails": {"id": f"devsecops/{result.scanner}/"},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": report.source_root.resolve().as_uri() + "/"}},
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
            "severity": finding.severity.value,
        },
    }
    if finding.references:
        rule["helpUri"] = finding.references[0]
    return rule


def _raise_severity(rule: dict[str, Any], severity: Severity) -> None:
    """A rule's severity is that of its worst finding (not of whichever came first)."""
    properties = rule["properties"]
    if severity.rank > Severity.parse(properties["severity"]).rank:
        properties["severity"] = severity.value
        properties["security-severity"] = severity.sarif_score
        rule["defaultConfiguration"]["level"] = severity.sarif_level


def _precision(confidence: str) -> str:
    return {"high": "high", "medium": "medium", "low": "low", "confirmed": "very-high"}.get(
        confidence, "medium"
    )


def _result(decision: Decision, rule_ids: list[str], report: Report) -> dict[str, Any]:
    finding = decision.found
    text = finding.title or finding.rule
    if finding.location.url:
        text += f" ({finding.location.describe()})"
    path, line = _where(finding, report)
    region: dict[str, Any] = {"startLine": max(line, 1)}
    if finding.location.column and finding.location.path:
        region["startColumn"] = finding.location.column
    if finding.snippet and finding.location.path:  # redacted by the scanner (secrets: masked)
        region["snippet"] = {"text": finding.snippet}
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_ids.index(finding.rule),
        "level": finding.severity.sarif_level,
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": report.repo_path(path), "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ],
        # Ours, not a hash of the line: distinct findings on one line stay distinct alerts,
        # and a finding that moves keeps its alert.
        "partialFingerprints": {
            "devsecops/v1": finding.fingerprint,
            "primaryLocationLineHash": f"{finding.fingerprint[:16]}:1",
        },
        "properties": {
            "severity": finding.severity.value,
            "outcome": OUTCOME_WORDS[decision.verdict],
        },
    }
    if path == ".":
        # The repository itself (a commit): its root, no line; the sha is in the message.
        physical = result["locations"][0]["physicalLocation"]
        physical["artifactLocation"]["uri"] = "."
        del physical["region"]
    if finding.location.url:
        result["properties"]["url"] = finding.location.url
    suppression = _suppression(decision, report)
    if suppression:
        result["suppressions"] = [suppression]
    return result


def _where(finding: Finding, report: Report) -> tuple[str, int]:
    """A rootdir-relative file and line for every finding: its own, else where the app under
    test is declared (URL findings), else the config file, else the baseline."""
    if finding.location.url and report.app_declared_in[0]:
        return report.app_declared_in
    if finding.location.path:
        return finding.location.path, finding.location.line
    for path, line in (report.app_declared_in, (report.config_file, 1)):
        if path:
            return path, line
    return report.baseline, 1


def _suppression(decision: Decision, report: Report) -> dict[str, Any] | None:
    if decision.verdict in (Verdict.ACCEPTED, Verdict.EXPIRED) and decision.entry is not None:
        status = "accepted" if decision.verdict is Verdict.ACCEPTED else "rejected"
        return {
            "kind": "external",
            "status": status,
            "justification": decision.entry.reason or "accepted in the baseline",
            "location": {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": report.repo_path(report.baseline),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {"startLine": max(decision.entry.line, 1)},
                }
            },
        }
    if decision.verdict is Verdict.BELOW_GATE:
        return {
            "kind": "external",
            "status": "accepted",
            "justification": f"below the severity gate ({report.fail_on})",
        }
    return None
