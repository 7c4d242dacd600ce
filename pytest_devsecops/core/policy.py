"""Decide each finding's outcome: policy rule first, then the baseline, then the gate."""

from __future__ import annotations

import dataclasses
import datetime
import enum
from collections.abc import Iterable, Sequence

from .baseline import Baseline, Entry
from .finding import Finding, ScanResult
from .policy_rules import Rule, first_match
from .severity import Severity


class Verdict(enum.Enum):
    """What the test item for a finding or a baseline entry will do."""

    NEW = "new"  # not accepted, at or above the gate: fails
    BELOW_GATE = "below-gate"  # not accepted, below the gate: reported, xfail non-strict
    ACCEPTED = "accepted"  # in the baseline and not expired: xfail strict
    EXPIRED = "expired"  # in the baseline, but past its `expires` date: fails
    STALE = "stale"  # baseline entry that matches nothing any more: fails (or passes)
    IGNORED = "ignored"  # a policy rule drops it: no test item, still counted and reported
    REFUSED = "refused"  # in the baseline, but the entry breaks the acceptance rules: fails

    @property
    def fails(self) -> bool:
        return self in (Verdict.NEW, Verdict.EXPIRED, Verdict.STALE, Verdict.REFUSED)


@dataclasses.dataclass(frozen=True)
class Decision:
    """One future test item: a finding, a baseline entry, or both, and what it will do."""

    verdict: Verdict
    scanner: str
    finding: Finding | None = None
    entry: Entry | None = None
    rule: Rule | None = None  # the policy rule that matched, if any
    gate: Severity | None = None  # the gate the finding was judged against, if it came to that
    problem: str = ""  # why a baseline entry was refused

    @property
    def found(self) -> Finding:
        """The finding; only stale-entry decisions have none, and asking them is a bug."""
        if self.finding is None:
            raise ValueError(f"a {self.verdict.value} decision has no finding")
        return self.finding

    @property
    def accepted_by(self) -> Entry:
        """The baseline entry; only new findings have none, and asking them is a bug."""
        if self.entry is None:
            raise ValueError(f"a {self.verdict.value} decision has no baseline entry")
        return self.entry


@dataclasses.dataclass(frozen=True)
class Policy:
    """The gate, the policy rules, the acceptance rules, and the day expiry is judged on."""

    fail_on: Severity = Severity.MEDIUM
    today: datetime.date = dataclasses.field(default_factory=datetime.date.today)
    strict_baseline: bool = True
    rules: tuple[Rule, ...] = ()
    require: tuple[str, ...] = ()  # fields every accepting baseline entry must fill in
    max_acceptance_days: int | None = None  # how far ahead `expires` may be

    def refusal(self, entry: Entry) -> str:
        """Why `entry` may not accept anything under the acceptance rules, or ""."""
        missing = [name for name in self.require if not getattr(entry, name)]
        if missing:
            return (
                f"the baseline entry has no {' and no '.join(repr(m) for m in missing)} "
                f"(devsecops_require = {' '.join(self.require)})"
            )
        if self.max_acceptance_days is not None:
            horizon = self.today + datetime.timedelta(days=self.max_acceptance_days)
            if entry.expires is None or entry.expires > horizon:
                shown = entry.expires.isoformat() if entry.expires else "never"
                return (
                    f"the baseline entry expires {shown}, later than {horizon} "
                    f"(devsecops_max_acceptance_days = {self.max_acceptance_days})"
                )
        return ""


def decide(results: Sequence[ScanResult], baseline: Baseline, policy: Policy) -> list[Decision]:
    """Give each finding (and each baseline entry nothing matched) its verdict.

    The order is: the first policy rule that matches (ignore, report and fail are final), then
    the baseline (by fingerprint), then the gate (a rule's `fail_on`, else `devsecops_fail_on`).
    """
    entries = baseline.by_fingerprint()
    matched: set[str] = set()
    decisions = []
    for result in results:
        for finding in result.findings:
            rule = first_match(policy.rules, finding)
            entry = entries.get(finding.fingerprint)
            if entry is not None and entry.scanner != result.scanner:
                entry = None
            if entry is not None:
                # Its finding is still there, so the entry is not stale: a reviewed entry is
                # never lost because a policy rule now ignores the same finding.
                matched.add(entry.fingerprint)
            if rule is not None and rule.action == "ignore":
                decisions.append(
                    Decision(Verdict.IGNORED, result.scanner, finding, entry, rule=rule)
                )
                continue
            decisions.append(_decide_one(finding, entry, rule, policy, result.scanner))
        for entry in stale_entries(result, baseline, matched):
            decisions.append(Decision(Verdict.STALE, result.scanner, None, entry))
    return decisions


def _decide_one(
    finding: Finding, entry: Entry | None, rule: Rule | None, policy: Policy, scanner: str
) -> Decision:
    if rule is not None and rule.action in ("fail", "report"):
        verdict = Verdict.NEW if rule.action == "fail" else Verdict.BELOW_GATE
        return Decision(verdict, scanner, finding, entry, rule)
    if entry is not None:
        problem = policy.refusal(entry)
        if problem:
            return Decision(Verdict.REFUSED, scanner, finding, entry, rule, problem=problem)
        verdict = Verdict.EXPIRED if entry.expired(policy.today) else Verdict.ACCEPTED
        return Decision(verdict, scanner, finding, entry, rule)
    gate = rule.fail_on if rule is not None and rule.fail_on else policy.fail_on
    verdict = Verdict.NEW if finding.severity >= gate else Verdict.BELOW_GATE
    return Decision(verdict, scanner, finding, None, rule, gate=gate)


def expiring_soon(baseline: Baseline, today: datetime.date, days: int = 14) -> list[Entry]:
    """Acceptances that run out within `days` (not yet expired), soonest first."""
    horizon = today + datetime.timedelta(days=days)
    soon = [e for e in baseline.entries if e.expires is not None and today <= e.expires <= horizon]
    return sorted(soon, key=lambda e: (e.expires or today, e.scanner, e.path, e.rule))


def stale_entries(result: ScanResult, baseline: Baseline, matched: Iterable[str]) -> list[Entry]:
    """Entries of `result`'s scanner that matched nothing, where the scan could have matched.

    An entry whose location this run did not cover proves nothing either way, so it is neither
    stale nor removed by an update (see `covers`).
    """
    taken = set(matched)
    return [
        entry
        for entry in baseline.entries
        if entry.scanner == result.scanner
        and entry.fingerprint not in taken
        and covers(result, entry)
    ]


def covers(result: ScanResult, entry: Entry) -> bool:
    """Whether `result` looked where `entry`'s finding was, so that its absence means it is gone.

    A failed scan covers nothing. A file scanner covers exactly the files it scanned (narrowed
    paths, skipped or unparseable files are not covered). For other units (dependencies, pages)
    one entry cannot be tied to one unit, so any unit left out makes every entry uncovered; a
    dependency scan also covers only the files its dependencies were read from.
    """
    if result.error or entry.scanner != result.scanner:
        return False
    coverage = result.coverage
    if entry.path in {skip.target for skip in coverage.skipped}:
        return False
    if coverage.unit == "files":
        if entry.path in set(coverage.scanned):
            return True
        # Not scanned and not skipped, yet under a folder the scan walked: the file is gone
        # (deleted or renamed), so its entry is stale. Files the walk left out are skips.
        return any(_under(entry.path, asked) for asked in coverage.requested)
    if coverage.skipped or not coverage.scanned:
        return False
    sources = {component.path for component in result.components}
    return not sources or entry.path in sources


def _under(path: str, folder: str) -> bool:
    folder = folder.rstrip("/")
    return folder in ("", ".") or path == folder or path.startswith(folder + "/")


def uncovered_entries(results: Sequence[ScanResult], baseline: Baseline) -> list[Entry]:
    """Baseline entries that no result of this run matched or could have matched.

    These are kept untouched by `--devsecops-update-baseline`: a scanner that was not selected,
    that failed, or that did not reach the entry's file, dependency or page saw nothing about it.
    """
    found = {
        (result.scanner, finding.fingerprint) for result in results for finding in result.findings
    }
    by_scanner = {result.scanner: result for result in results}
    kept = []
    for entry in baseline.entries:
        if (entry.scanner, entry.fingerprint) in found:
            continue
        result = by_scanner.get(entry.scanner)
        if result is None or not covers(result, entry):
            kept.append(entry)
    return kept
