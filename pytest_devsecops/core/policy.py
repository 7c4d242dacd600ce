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
        if coverage.scanned:
            return entry.path in set(coverage.scanned)
        # A scanner that lists only what it was asked to scan covers the files under it.
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
