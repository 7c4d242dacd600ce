"""`--devsecops-explain FINDING`: which policy rule, baseline entry or gate decided, and why."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .core.policy import Decision, Policy, Verdict
from .core.redact import printable
from .items import item_names

if TYPE_CHECKING:
    from _pytest._io import TerminalWriter

    from .session import SecurityRun

_HEX = re.compile(r"^[0-9a-f]{6,24}$")
OUTCOMES = {
    Verdict.NEW: "FAILS (a finding at or above its gate, not accepted)",
    Verdict.BELOW_GATE: "xfail, does not fail the run (reported only)",
    Verdict.ACCEPTED: "xfail (accepted in the baseline)",
    Verdict.EXPIRED: "FAILS (its acceptance has expired)",
    Verdict.REFUSED: "FAILS (its baseline entry breaks the acceptance rules)",
    Verdict.STALE: "FAILS as stale unless devsecops_strict_baseline = false",
    Verdict.IGNORED: "no test item (ignored by policy; still in the summary and JSON report)",
}


def find(decisions: list[Decision], wanted: str) -> list[tuple[str, Decision]]:
    """Decisions whose node id, item name or fingerprint (or its prefix) is `wanted`."""
    wanted = wanted.strip()
    return [
        (node_id, decision)
        for node_id, decision in find_all(decisions)
        if wanted in (node_id, node_id.removeprefix("devsecops/"), node_id.split("::", 1)[1])
        or (_HEX.match(wanted) and _fingerprint(decision).startswith(wanted))
    ]


def _fingerprint(decision: Decision) -> str:
    if decision.finding is not None:
        return decision.finding.fingerprint
    return decision.entry.fingerprint if decision.entry is not None else ""


def explain(node_id: str, decision: Decision, policy: Policy, baseline: str) -> list[str]:
    """The decision, step by step in the order it is taken: policy rule, baseline, gate."""
    lines = [f"{node_id}  (fingerprint {_fingerprint(decision)})"]
    finding, entry, rule = decision.finding, decision.entry, decision.rule
    if finding is not None:
        lines.append(
            f"  finding: {finding.rule} {printable(finding.title)}, severity {finding.severity},"
            f" at {printable(finding.location.describe())}"
        )
    lines.append(f"  outcome: {OUTCOMES[decision.verdict]}")
    if decision.verdict is Verdict.STALE and entry is not None:
        lines.append(
            f"  decided by: baseline entry {baseline}:{entry.line}, which matches no finding "
            "of a scan that covered its location"
        )
        return lines
    rules = len(policy.rules)
    if rule is None:
        lines.append(f"  1. policy: none of the {rules} policy rule(s) matches")
    else:
        lines.append(f"  1. policy: {printable(rule.describe())}")
        if rule.action in ("ignore", "report", "fail"):
            lines.append(f"  decided by: policy {rule.name} (action = {rule.action})")
            return lines
    if entry is None:
        lines.append(f"  2. baseline: no entry in {baseline} has this fingerprint")
    else:
        expires = entry.expires.isoformat() if entry.expires else "never"
        lines.append(
            f"  2. baseline: entry {baseline}:{entry.line} (reason: "
            f"{printable(entry.reason) or 'none'}; owner: {printable(entry.owner) or 'nobody'};"
            f" expires: {expires})"
        )
        if decision.problem:
            lines.append(f"     refused: {decision.problem}")
        lines.append(f"  decided by: baseline entry {baseline}:{entry.line}")
        return lines
    gate = decision.gate or policy.fail_on
    source = f"policy {rule.name}'s fail_on" if rule is not None and rule.fail_on else "fail-on"
    compare = ">=" if finding is not None and finding.severity >= gate else "<"
    severity = finding.severity if finding is not None else "?"
    lines.append(f"  3. gate: severity {severity} {compare} {source} = {gate}")
    lines.append("  decided by: the gate")
    return lines


def run_explain(run: SecurityRun, wanted: str, out: TerminalWriter) -> int:
    """Print the explanation (scanning only when no cached scan exists); 0 when found."""
    if run.load_cached():
        out.line(
            "devsecops: explaining from the last cached scan (pytest --devsecops refreshes it)"
        )
    else:
        out.line("devsecops: no cached scan; scanning now")
        run.scan_now()
    baseline = run.settings.relative(run.settings.baseline)
    matches = find(run.decisions, wanted)
    if not matches:
        out.line(f"devsecops: no finding or baseline entry is {wanted!r}; node ids look like")
        for node_id, _ in find_all(run.decisions)[:10]:
            out.line(f"  {node_id}")
        return 4  # pytest's exit code for a usage error
    for node_id, decision in matches:
        for line in explain(node_id, decision, run.policy(), baseline):
            out.line(line)
    return 0


def find_all(decisions: list[Decision]) -> list[tuple[str, Decision]]:
    by_scanner: dict[str, list[Decision]] = {}
    for decision in decisions:
        by_scanner.setdefault(decision.scanner, []).append(decision)
    return [
        (f"devsecops/{scanner}::{name}", decision)
        for scanner, group in by_scanner.items()
        for name, decision in item_names(group)
    ]
