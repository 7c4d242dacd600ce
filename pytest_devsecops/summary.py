"""The terminal summary: per scanner, its coverage and its findings by outcome and severity."""

from __future__ import annotations

from collections import Counter

from .core.policy import Decision, Verdict
from .messages import status_summary
from .reporters.interface import OUTCOME_WORDS, Report


def _ignored(decisions: list[Decision]) -> str:
    """E.g. `3 ignored by policy: tests/**, **/conftest.py` (the places of the matching rules)."""
    rules = [d.rule for d in decisions if d.verdict is Verdict.IGNORED and d.rule is not None]
    if not rules:
        return ""
    places = dict.fromkeys(p for rule in rules for p in (rule.paths or (rule.rule or "*",)))
    shown = ", ".join(list(places)[:4]) + (", ..." if len(places) > 4 else "")
    return f"{len(rules)} ignored by policy: {shown}"


def summary_lines(report: Report) -> list[str]:
    lines = []
    for result in report.results:
        decisions = report.decisions_for(result.scanner)
        outcomes = Counter(OUTCOME_WORDS[d.verdict] for d in decisions)
        failing = Counter(
            d.finding.severity.value
            for d in decisions
            if d.finding is not None
            and d.verdict in (Verdict.NEW, Verdict.EXPIRED, Verdict.REFUSED)
        )
        line = status_summary(result)
        findings = sum(1 for d in decisions if d.finding is not None)
        line += f"; {findings} finding{'s' if findings != 1 else ''}"
        parts = []
        for word in ("failed", "expired", "refused", "baselined", "below-gate", "stale"):
            if outcomes[word]:
                parts.append(f"{outcomes[word]} {word}")
        ignored = _ignored(decisions)
        if ignored:
            parts.append(ignored)
        if parts:
            line += ": " + ", ".join(parts)
        if failing:
            order = ("critical", "high", "medium", "low", "info")
            line += (
                " [failing: " + ", ".join(f"{failing[s]} {s}" for s in order if failing[s]) + "]"
            )
        lines.append(line)
    return lines
