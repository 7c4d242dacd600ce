"""Decide each finding's outcome from the severity gate and the baseline."""

from __future__ import annotations

import dataclasses
import datetime
import enum
from collections.abc import Iterable, Sequence

from .baseline import Baseline, Entry
from .finding import Finding, ScanResult
from .severity import Severity


class Verdict(enum.Enum):
    """What the test item for a finding or a baseline entry will do."""

    NEW = "new"  # not accepted, at or above the gate: fails
    BELOW_GATE = "below-gate"  # not accepted, below the gate: reported, xfail non-strict
    ACCEPTED = "accepted"  # in the baseline and not expired: xfail strict
    EXPIRED = "expired"  # in the baseline, but past its `expires` date: fails
    STALE = "stale"  # baseline entry that matches nothing any more: fails (or passes)

    @property
    def fails(self) -> bool:
        return self in (Verdict.NEW, Verdict.EXPIRED, Verdict.STALE)


@dataclasses.dataclass(frozen=True)
class Decision:
    """One future test item: a finding, a baseline entry, or both, and what it will do."""

    verdict: Verdict
    scanner: str
    finding: Finding | None = None
    entry: Entry | None = None
    note: str = ""  # why, when the gate alone does not explain the verdict (--devsecops-since)

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
    """The gate and the day against which expiry is judged."""

    fail_on: Severity = Severity.MEDIUM
    today: datetime.date = dataclasses.field(default_factory=datetime.date.today)
    strict_baseline: bool = True


def decide(results: Sequence[ScanResult], baseline: Baseline, policy: Policy) -> list[Decision]:
    """Pair findings with baseline entries (by fingerprint) and give each pair a verdict."""
    entries = baseline.by_fingerprint()
    matched: set[str] = set()
    decisions = []
    for result in results:
        for finding in result.findings:
            entry = entries.get(finding.fingerprint)
            if entry is not None and entry.scanner == result.scanner:
                matched.add(entry.fingerprint)
                verdict = Verdict.EXPIRED if entry.expired(policy.today) else Verdict.ACCEPTED
            elif finding.policy == "fail" or (
                finding.severity >= policy.fail_on and finding.policy != "report"
            ):
                verdict = Verdict.NEW
            else:
                verdict = Verdict.BELOW_GATE
            decisions.append(Decision(verdict, result.scanner, finding, entry))
        for entry in stale_entries(result, baseline, matched):
            decisions.append(Decision(Verdict.STALE, result.scanner, None, entry))
    return decisions


def stale_entries(result: ScanResult, baseline: Baseline, matched: Iterable[str]) -> list[Entry]:
    """Entries of `result`'s scanner that matched nothing, where the scan could have matched.

    A scan that failed, or skipped the entry's file, proves nothing about the entry, so such
    entries are neither stale nor removed by an update.
    """
    if result.error:
        return []
    taken = set(matched)
    unchecked = {skip.target for skip in result.coverage.skipped}
    return [
        entry
        for entry in baseline.entries
        if entry.scanner == result.scanner
        and entry.fingerprint not in taken
        and entry.path not in unchecked
    ]
