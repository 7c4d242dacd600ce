"""The policy turns findings and baseline entries into verdicts."""

from __future__ import annotations

import datetime
from pathlib import Path

from pytest_devsecops.core.baseline import Baseline, Entry
from pytest_devsecops.core.finding import Coverage, Finding, Location, ScanResult, Skipped
from pytest_devsecops.core.policy import Policy, Verdict, decide
from pytest_devsecops.core.severity import Severity

TODAY = datetime.date(2026, 6, 1)


def finding(fingerprint: str, severity: Severity = Severity.HIGH, path: str = "a.py") -> Finding:
    return Finding(
        scanner="bandit",
        rule="B1",
        title="t",
        severity=severity,
        location=Location(path=path, line=1),
        identity=fingerprint,
        fingerprint=fingerprint * 24,
    )


def entry(fingerprint: str, expires: datetime.date | None = None, path: str = "a.py") -> Entry:
    return Entry(
        fingerprint=fingerprint * 24, scanner="bandit", rule="B1", path=path, expires=expires
    )


def verdicts(result: ScanResult, *entries: Entry) -> list[tuple[Verdict, str]]:
    baseline = Baseline(path=Path("b.yml"), entries=entries, text="")
    decisions = decide([result], baseline, Policy(Severity.MEDIUM, TODAY))
    return [
        (
            d.verdict,
            (d.finding.fingerprint if d.finding else d.entry.fingerprint if d.entry else "")[:1],
        )
        for d in decisions
    ]


def test_each_verdict() -> None:
    result = ScanResult(
        "bandit",
        "bandit",
        "1",
        findings=(finding("n"), finding("l", Severity.LOW), finding("a"), finding("e")),
        coverage=Coverage(scanned=("a.py",)),
    )
    assert verdicts(
        result, entry("a", TODAY), entry("e", TODAY - datetime.timedelta(days=1)), entry("s")
    ) == [
        (Verdict.NEW, "n"),
        (Verdict.BELOW_GATE, "l"),
        (Verdict.ACCEPTED, "a"),
        (Verdict.EXPIRED, "e"),
        (Verdict.STALE, "s"),
    ]


def test_a_failed_scan_makes_no_entry_stale() -> None:
    assert verdicts(ScanResult("bandit", "bandit", "1", error="crashed"), entry("s")) == []


def test_entries_for_files_the_scan_skipped_are_not_stale() -> None:
    result = ScanResult(
        "bandit", "bandit", "1", coverage=Coverage(skipped=(Skipped("bad.py", "syntax error"),))
    )
    assert verdicts(result, entry("s", path="bad.py")) == []


def test_an_entry_of_another_scanner_never_accepts_a_finding() -> None:
    other = Entry(fingerprint="n" * 24, scanner="pip-audit", rule="B1")
    result = ScanResult("bandit", "bandit", "1", findings=(finding("n"),))
    assert verdicts(result, other) == [(Verdict.NEW, "n")]
