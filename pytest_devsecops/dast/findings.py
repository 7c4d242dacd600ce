"""From alerts to findings: one finding per rule, method, path template and parameter."""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlsplit

from ..core.finding import Finding, Location
from ..core.redact import printable, redact
from . import rules
from .passive import Alert
from .rules_file import RuleLevels

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_NUMBER = re.compile(r"^\d+$")
_HEX = re.compile(r"^[0-9a-f]{16,}$", re.IGNORECASE)
SAMPLES = 3


def path_template(url: str) -> str:
    """`/orders/42/items/3f2a…` → `/orders/{id}/items/{uuid}`; the query is dropped."""
    segments = []
    for segment in (urlsplit(url).path or "/").split("/"):
        if _NUMBER.match(segment):
            segments.append("{id}")
        elif _UUID.match(segment):
            segments.append("{uuid}")
        elif _HEX.match(segment):
            segments.append("{hex}")
        else:
            segments.append(segment)
    return "/".join(segments) or "/"


def rule_for(alert: Alert) -> rules.Rule:
    """Our catalog entry for the alert's rule, or one built from the alert's own metadata."""
    known = rules.CATALOG.get(alert.rule)
    if known is not None and not alert.name:
        return known
    plugin = (
        alert.plugin_id or int(alert.rule.split("-")[0])
        if alert.rule.split("-")[0].isdigit()
        else 0
    )
    return rules.Rule(
        plugin_id=plugin,
        alert_ref=alert.rule,
        name=alert.name or (known.name if known else alert.rule),
        risk=alert.risk or (known.risk if known else "Informational"),
        cwe=alert.cwe or (known.cwe if known else 0),
        wasc=known.wasc if known else 0,
        solution=alert.solution or (known.solution if known else ""),
        systemic=known.systemic if known else False,
    )


def to_findings(
    alerts: tuple[Alert, ...], scanner: str, config_file: str, levels: RuleLevels | None = None
) -> list[Finding]:
    """Aggregate alerts across pages of one template into findings with a count and samples.

    `levels` applies a ZAP-baseline rules file: IGNORE drops, INFO/WARN report, FAIL fails.
    """
    groups: dict[tuple[str, str, str, str], list[Alert]] = defaultdict(list)
    for alert in alerts:
        if levels is not None and not levels.keeps(alert):
            continue
        if rule_for(alert).systemic:
            key = (alert.rule, rules.SITE_WIDE, rules.SITE_WIDE, alert.param)
        else:
            key = (alert.rule, alert.method, path_template(alert.url), alert.param)
        groups[key].append(alert)
    findings = []
    for (rule_id, method, template, param), members in sorted(groups.items()):
        first = members[0]
        rule = rule_for(first)
        confidence = max((a.confidence for a in members), key=_confidence_rank)
        risk = "Low" if rule_id == "90022" and all(a.other == "500" for a in members) else rule.risk
        severity = rules.severity(risk, confidence)
        if severity is None:
            continue
        urls = sorted({a.url for a in members})
        details = [
            (
                "zap rule",
                f"{rule.plugin_id} ({rule.alert_ref}) {rule.name}; "
                f"risk {risk}, confidence {confidence}",
            ),
            (
                "seen on",
                f"{len(urls)} URL{'s' if len(urls) != 1 else ''}: {', '.join(urls[:SAMPLES])}"
                + (" ..." if len(urls) > SAMPLES else ""),
            ),
        ]
        if first.attack:
            details.append(("attack", printable(redact(first.attack))))
        if first.evidence:
            details.append(("evidence", printable(redact(first.evidence))))
        policy = ""
        if levels is not None and levels.policy_for(rule.plugin_id):
            policy = levels.policy_for(rule.plugin_id)
            details.append(
                ("rules file", f"{levels.level_for(rule.plugin_id)} for {rule.plugin_id}")
            )
        shown = ("site-wide",) if template == rules.SITE_WIDE else (method, template)
        label = " ".join(part for part in (*shown, param) if part)
        findings.append(
            Finding(
                scanner=scanner,
                rule=rule_id,
                title=printable(rule.name),
                severity=severity,
                location=Location(path=config_file, url=urls[0], method=first.method, param=param),
                identity=f"{method}\x1f{template}\x1f{param}",
                confidence=confidence.lower(),
                cwe=rule.cwe or None,
                snippet="",
                remediation=printable(rule.solution),
                references=(f"https://www.zaproxy.org/docs/alerts/{rule.plugin_id}/",),
                label=printable(label),
                details=tuple(details),
                policy=policy,
            )
        )
    return findings


def _confidence_rank(confidence: str) -> int:
    return rules.CONFIDENCES.index(confidence) if confidence in rules.CONFIDENCES else 2
