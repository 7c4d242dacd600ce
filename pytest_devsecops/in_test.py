"""Findings of a scan run inside a test (DAST, an image): decided, counted, one subtest each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from .core.policy import Decision, Verdict
from .messages import finding_text, status_text, xfail_reason

if TYPE_CHECKING:
    from .core.finding import ScanResult
    from .late import LateFindings


def report(late: LateFindings, subtests: Any, result: ScanResult) -> None:
    """Each finding is a subtest (failed, or xfailed when accepted or below the gate); the test
    itself fails when the scan could not run or saw too little."""
    __tracebackhide__ = True
    decisions = late.decide(result)
    late.count_in_test(decisions)
    for decision in decisions:
        if decision.verdict is not Verdict.IGNORED:  # a policy rule dropped it
            _subtest(late, subtests, decision)
    if not result.complete:
        pytest.fail(status_text(result), pytrace=False)


def _subtest(late: LateFindings, subtests: Any, decision: Decision) -> None:
    finding = decision.found
    with subtests.test(msg=f"{finding.rule}[{finding.item_label}]"):
        if decision.verdict in (Verdict.ACCEPTED, Verdict.BELOW_GATE):
            pytest.xfail(xfail_reason(decision, late.fail_on))
        pytest.fail(finding_text(decision, late.baseline_name), pytrace=False)
