"""The JSON report: a stable, versioned, sorted account of scanners and findings."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ..core.finding import ScanResult
from ..core.policy import Decision
from ..core.redact import json_safe
from .interface import OUTCOME_WORDS, Report

SCHEMA_VERSION = 1


class JsonReporter:
    """Renders `Report` as JSON (schema `pytest-devsecops-report`, version 1)."""

    def render(self, report: Report) -> str:
        findings = sorted(
            (_finding(d) for d in report.decisions if d.finding is not None),
            key=lambda item: (item["scanner"], item["fingerprint"]),
        )
        stale = sorted(
            (_stale(d) for d in report.decisions if d.finding is None),
            key=lambda item: item["fingerprint"],
        )
        document = {
            "schema": "pytest-devsecops-report",
            "version": SCHEMA_VERSION,
            "tool": {"name": "pytest-devsecops", "version": report.plugin_version},
            "fail_on": report.fail_on,
            "baseline": report.baseline,
            "scanners": [_scanner(result, report) for result in report.results],
            "findings": findings,
            "stale_baseline_entries": stale,
        }
        return json_safe(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def _scanner(result: ScanResult, report: Report) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for decision in report.decisions_for(result.scanner):
        word = OUTCOME_WORDS[decision.verdict]
        counts[word] = counts.get(word, 0) + 1
    status = "error" if result.error else ("complete" if result.complete else "incomplete")
    if result.unavailable and not result.error:
        status = "skipped"  # its tool is not installed: never "complete"
    return {
        "name": result.scanner,
        "tool": result.tool,
        "version": result.version,
        "status": status,
        "error": result.error or result.unavailable,
        "notes": list(result.notes),
        "duration_seconds": round(result.duration, 3),
        "coverage": {
            "unit": result.coverage.unit,
            "requested": list(result.coverage.requested),
            "scanned": len(result.coverage.scanned),
            "skipped": [dataclasses.asdict(skip) for skip in result.coverage.skipped],
        },
        "outcomes": counts,
    }


def _finding(decision: Decision) -> dict[str, Any]:
    finding = decision.found
    data = {
        "fingerprint": finding.fingerprint,
        "scanner": finding.scanner,
        "rule": finding.rule,
        "title": finding.title,
        "severity": finding.severity.value,
        "confidence": finding.confidence,
        "cwe": finding.cwe,
        "location": {
            key: value
            for key, value in dataclasses.asdict(finding.location).items()
            if value not in ("", 0)
        },
        "remediation": finding.remediation,
        "references": list(finding.references),
        "details": dict(finding.details),
        "outcome": OUTCOME_WORDS[decision.verdict],
    }
    if decision.rule is not None:
        data["policy_rule"] = decision.rule.describe()
    if decision.problem:
        data["refused_because"] = decision.problem
    if decision.entry is not None:
        data["baseline"] = {
            "reason": decision.entry.reason,
            "owner": decision.entry.owner,
            "expires": decision.entry.expires.isoformat() if decision.entry.expires else None,
        }
    return data


def _stale(decision: Decision) -> dict[str, Any]:
    entry = decision.accepted_by
    return {
        "fingerprint": entry.fingerprint,
        "scanner": entry.scanner,
        "rule": entry.rule,
        "path": entry.path,
        "title": entry.title,
        "outcome": "stale",
    }
