"""The words a user reads: failure texts for findings, stale entries and scanner status."""

from __future__ import annotations

from .core.baseline import Entry
from .core.finding import Finding, ScanResult
from .core.policy import Decision, Verdict
from .core.redact import printable

ACCEPT_HINT = (
    "to accept it: pytest --devsecops --devsecops-update-baseline, then give its entry in "
    "{baseline} a reason, an owner and an expires date"
)


def finding_text(decision: Decision, baseline: str) -> str:
    """Everything about one finding, as shown under its FAILED/XFAIL line."""
    finding = decision.found
    lines = [f"{finding.rule} {finding.title}"]
    facts = [f"severity: {finding.severity}"]
    if finding.confidence:
        facts.append(f"confidence: {finding.confidence}")
    if finding.cwe:
        facts.append(f"CWE-{finding.cwe}")
    lines.append("  " + "   ".join(facts))
    lines.append(f"  at {printable(finding.location.describe())}")
    lines.extend(_snippet(finding))
    for name, value in finding.details:
        lines.append(f"  {name}: {printable(value)}")
    if finding.remediation:
        lines.append(f"  what to do: {finding.remediation}")
    for reference in finding.references[:3]:
        lines.append(f"  more: {reference}")
    lines.append(f"  fingerprint: {finding.fingerprint}")
    entry = decision.entry
    if decision.verdict is Verdict.EXPIRED and entry is not None:
        lines.append(
            f"  accepted in {baseline} until {printable(str(entry.expires))} "
            f"(owner: {printable(entry.owner) or 'nobody'}; "
            f"reason: {printable(entry.reason) or 'none given'}), and that acceptance has expired: "
            "fix it, or review it and move `expires` forward"
        )
    elif decision.verdict is Verdict.REFUSED and entry is not None:
        lines.append(
            f"  accepted in {baseline}:{entry.line}, but the acceptance is refused: "
            f"{decision.problem}; complete the entry (or shorten `expires`)"
        )
    elif decision.verdict is Verdict.NEW and decision.rule is not None:
        lines.append(f"  decided by policy {printable(decision.rule.describe())}")
    elif decision.verdict is Verdict.NEW:
        lines.append("  " + ACCEPT_HINT.format(baseline=baseline))
    return "\n".join(lines)


def _snippet(finding: Finding) -> list[str]:
    if not finding.snippet:
        return []
    first = finding.location.line or 1
    width = len(str(first + finding.snippet.count("\n")))
    return [
        f"    {str(first + offset).rjust(width)} | {printable(text)}"
        for offset, text in enumerate(finding.snippet.splitlines())
    ]


def stale_text(entry: Entry, baseline: str) -> str:
    return (
        f"baseline entry {printable(entry.fingerprint)} "
        f"({printable(entry.rule)} in {printable(entry.path) or '?'}: "
        f"{printable(entry.title) or 'no title'}) matches no current finding.\n"
        f"  {baseline}:{entry.line}\n"
        "  fixed? remove it with --devsecops-update-baseline"
    )


def xfail_reason(decision: Decision, fail_on: str) -> str:
    entry = decision.entry
    if decision.verdict is Verdict.ACCEPTED and entry is not None:
        reason = printable(entry.reason) or "accepted, but no reason recorded yet"
        owner = f" (owner: {printable(entry.owner)})" if entry.owner else ""
        expires = f" until {printable(str(entry.expires))}" if entry.expires else ""
        return f"baselined{expires}: {reason}{owner}"
    if decision.note:
        return decision.note
    if decision.rule is not None and decision.rule.action == "report":
        return f"reported by policy {printable(decision.rule.describe())}"
    if decision.gate is not None:
        return f"below fail-on={decision.gate}"
    return f"below fail-on={fail_on}"


def status_text(result: ScanResult) -> str:
    """Why a scanner's status item failed, with the files or packages and the next step."""
    lines = []
    if result.error:
        lines.append(f"{result.tool or result.scanner} could not complete its scan: {result.error}")
    elif result.pending is not None:
        lines.append(f"{result.tool or result.scanner}'s check of the tool itself did not finish")
    gaps = result.coverage.gaps
    if gaps:
        lines.append(
            f"{_count(len(gaps), result.coverage.unit)} could not be scanned "
            f"({len(result.coverage.scanned)} were):"
        )
        lines.extend(f"  {printable(skip.target)}: {printable(skip.reason)}" for skip in gaps[:50])
        if len(gaps) > 50:
            lines.append(f"  ... and {len(gaps) - 50} more")
    lines.extend(f"note: {printable(note)}" for note in result.notes)
    if result.hint:
        lines.append(f"next step: {result.hint}")
    elif gaps:
        lines.append(
            "next step: fix or exclude those files; a finding hidden in them would go unseen"
        )
    return "\n".join(lines)


def status_summary(result: ScanResult) -> str:
    """One line: tool, version and coverage, for the status item and the terminal summary."""
    tool = f"{result.tool} {result.version}".strip()
    coverage = result.coverage
    verb = "" if coverage.unit.endswith("checked") else " scanned"
    scanned = f"{_count(len(coverage.scanned), coverage.unit)}{verb}"
    deliberate = [skip for skip in coverage.skipped if skip.deliberate]
    if deliberate:
        scanned += f", {len(deliberate)} skipped on purpose"
    took = f" in {result.duration:.1f}s" if result.duration else ""
    if result.error:
        return f"{tool}: ERROR{took}"
    if result.unavailable:
        return f"{tool}: SKIPPED, {result.unavailable}"
    if result.pending is not None:
        return f"{tool}: {scanned}{took}, checking the tool itself"
    if coverage.gaps:
        return f"{tool}: {scanned}{took}, {len(coverage.gaps)} NOT scanned"
    return f"{tool}: {scanned}{took}, complete"


def _count(number: int, unit: str) -> str:
    """`1 file`, `2 files`: units are given in the plural."""
    if number != 1:
        return f"{number} {unit}"
    return f"1 {unit[:-3] + 'y' if unit.endswith('ies') else unit.removesuffix('s')}"
