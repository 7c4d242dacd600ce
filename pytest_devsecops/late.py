"""Findings that arrive after collection: test traffic, and scans run inside tests.

They are judged by the same baseline, gate and expiry as collected items. Test-traffic findings
are reported at the end of the run as `devsecops/dast-traffic::...` results (sent from xdist
workers to the controller first); with --devsecops-update-baseline, new ones are accepted too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pytest

from . import messages
from .core import atomic, baseline_update, sanitise
from .core import baseline as baseline_mod
from .core.baseline import Baseline, BaselineError, Entry
from .core.finding import Coverage, Finding, ScanResult
from .core.fingerprint import assign
from .core.policy import Decision, Policy, Verdict, decide
from .core.policy_file import PolicyConfig
from .core.severity import Severity
from .dast.findings import to_findings
from .dast.passive import Alert
from .dast.traffic import TrafficLog
from .late_state import LATE_KEY, WORKER_OUTPUT_KEY
from .reporters.interface import OUTCOME_WORDS
from .session import load_baseline

TRAFFIC = "dast-traffic"


@dataclasses.dataclass
class LateFindings:
    """Per-session state for late findings; one per pytest process."""

    root: Path
    baseline_path: Path
    fail_on_level: Severity
    update_baseline: bool
    config_file: str
    # The policy file's rules and acceptance rules: test traffic is judged like any finding.
    policy_config: PolicyConfig = dataclasses.field(default_factory=PolicyConfig)
    traffic: TrafficLog = dataclasses.field(default_factory=TrafficLog)
    new: list[Finding] = dataclasses.field(default_factory=list)
    note: str = ""  # what the end of the run did to the baseline, for the terminal summary
    zap_traffic: tuple[str, str] | None = None  # (ZAP proxy, app origin) when traffic went via ZAP
    in_test: dict[str, int] = dataclasses.field(default_factory=dict)  # verdict -> count
    reported: tuple[ScanResult, tuple[Decision, ...]] | None = None  # traffic, for the reports
    also_seen: list[Finding] = dataclasses.field(default_factory=list)  # found by the scan too
    _baseline: Baseline | None = None

    @property
    def fail_on(self) -> str:
        return self.fail_on_level.value

    @property
    def baseline_name(self) -> str:
        try:
            return self.baseline_path.relative_to(self.root).as_posix()
        except ValueError:
            return str(self.baseline_path)

    def baseline(self) -> Baseline:
        if self._baseline is None:
            self._baseline = load_baseline(self.baseline_path)
        return self._baseline

    def decide(self, result: ScanResult) -> list[Decision]:
        """Verdicts for `result`'s findings; a partial scan proves nothing stale, so none are."""
        decisions = [d for d in decide([result], self.baseline(), self.policy()) if d.finding]
        self.new.extend(
            d.found for d in decisions if d.verdict in (Verdict.NEW, Verdict.BELOW_GATE)
        )
        return decisions

    def policy(self) -> Policy:
        config = self.policy_config
        return Policy(
            self.fail_on_level,
            rules=config.all_rules,
            require=config.require,
            max_acceptance_days=config.max_acceptance_days,
        )

    # -- xdist: workers send, the controller merges -----------------------------------------
    def to_worker_output(self) -> dict[str, Any]:
        return {
            "alerts": [dataclasses.asdict(alert) for alert in self.traffic.alerts],
            "urls": sorted(self.traffic.urls),
            "new": [finding.to_dict() for finding in self.new],
            "zap_traffic": list(self.zap_traffic) if self.zap_traffic else None,
            "in_test": dict(self.in_test),
        }

    def merge_worker_output(self, data: dict[str, Any]) -> None:
        self.traffic.extend(
            [Alert(**alert) for alert in data.get("alerts", ())], data.get("urls", [])
        )
        self.new.extend(Finding.from_dict(item) for item in data.get("new", ()))
        for word, count in (data.get("in_test") or {}).items():
            self.in_test[word] = self.in_test.get(word, 0) + int(count)
        if data.get("zap_traffic"):
            proxy, origin = data["zap_traffic"]
            self.zap_traffic = (proxy, origin)

    # -- end of the run (controller) ------------------------------------------------------
    def report_traffic(self, session: pytest.Session, scanned: Sequence[Finding] = ()) -> None:
        """Report the test traffic's findings; those the DAST scan (`scanned`) reported too
        are reported there once, noted as also seen in the test traffic (`also_seen`)."""
        if self.zap_traffic is not None:
            self._collect_from_zap(session)
        if not self.traffic.alerts and not self.traffic.urls:
            return  # no test used devsecops_http; with traffic and no alert, report a clean run
        # Their own identity, end to end: fingerprinted, accepted and decided as "dast-traffic".
        alerts = to_findings(tuple(self.traffic.alerts), TRAFFIC, self.config_file)
        findings = assign(sanitise.finding(finding) for finding in alerts)  # redacted, escaped
        by_scan = {(finding.rule, finding.identity) for finding in scanned}
        self.also_seen = [f for f in findings if (f.rule, f.identity) in by_scan]
        findings = [f for f in findings if (f.rule, f.identity) not in by_scan]
        checked = tuple(sorted(self.traffic.urls or {a.url for a in self.traffic.alerts}))
        notes: tuple[str, ...] = ()
        if self.also_seen:
            notes = (
                f"{len(self.also_seen)} finding(s) also seen by the DAST scan: reported there once",
            )
        result = ScanResult(
            TRAFFIC,
            "test traffic",
            "",
            tuple(findings),
            Coverage(scanned=checked, unit="URLs checked"),
            notes=notes,
        )
        decisions = sorted(self.decide(result), key=lambda d: d.found.fingerprint)
        self.reported = (result, tuple(decisions))
        session.testscollected += len(decisions)  # keeps the progress column at 100%
        for decision in decisions:
            _emit(session, decision, self)

    def _collect_from_zap(self, session: pytest.Session) -> None:
        """The passive alerts ZAP raised on the proxied test traffic (after its queue drains)."""
        from .dast.zap.client import ZapError
        from .dast.zap.traffic import traffic_alerts

        proxy, origin = self.zap_traffic  # type: ignore[misc]
        try:
            self.traffic.extend(traffic_alerts(proxy, origin))
        except ZapError as exc:  # reported as a failing result, never swallowed
            _emit_error(session, f"could not read ZAP's alerts for the test traffic: {exc}", self)

    def count_in_test(self, decisions: list[Decision]) -> None:
        """Tally the verdicts of a scan run inside a test, for the summary line."""
        for decision in decisions:
            word = OUTCOME_WORDS[decision.verdict]
            self.in_test[word] = self.in_test.get(word, 0) + 1

    def in_test_summary(self) -> str:
        """One line on the DAST findings of scans run inside tests (subtests)."""
        if not self.in_test:
            return ""
        order = ("failed", "expired", "baselined", "below-gate")
        parts = ", ".join(f"{self.in_test[w]} {w}" for w in order if self.in_test.get(w))
        hidden = self.in_test.get("baselined", 0) + self.in_test.get("below-gate", 0)
        hint = " (xfailed subtests: -v or verbosity_subtests = 1 lists them)" if hidden else ""
        return f"DAST scans in tests: {parts}{hint}"

    def accept_new(self, session: pytest.Session) -> str:
        """With --devsecops-update-baseline: add late findings to the baseline, keep the rest.

        A baseline that cannot be written (edited meanwhile, a link, unreadable) fails the run
        with the reason, as it does at the start of the run.
        """
        unique = {finding.fingerprint: finding for finding in self.new}
        if not self.update_baseline or not unique:
            return ""
        try:
            current = baseline_mod.load(self.baseline_path)  # re-read: the run's start wrote it
            known = current.by_fingerprint()
            entries = [Entry.for_finding(f) for f in unique.values() if f.fingerprint not in known]
            if not entries:
                return ""
            text = baseline_update.render(current, entries, [])
            atomic.replace_if_unchanged(
                self.baseline_path, text.encode(), current.digest, self.root
            )
        except (BaselineError, atomic.UnsafePathError, atomic.ConcurrentEditError, OSError) as exc:
            _emit_error(
                session, f"baseline not updated with the findings of the tests: {exc}", self
            )
            return ""
        return f"baseline updated with {len(entries)} finding(s) seen during the tests"


def _emit(session: pytest.Session, decision: Decision, late: LateFindings) -> None:
    """Report one traffic finding like a test result: terminal, JUnit XML, exit status."""
    finding = decision.found
    nodeid = f"devsecops/{TRAFFIC}::{finding.rule}[{finding.item_label}]"
    location = (late.config_file or f"devsecops/{TRAFFIC}", None, f"[{TRAFFIC}] {finding.rule}")
    keywords: dict[str, Literal[1]] = dict.fromkeys(
        ("devsecops", "dast", TRAFFIC, finding.severity.value, finding.rule), 1
    )
    properties = [
        ("devsecops_scanner", TRAFFIC),
        ("devsecops_rule", finding.rule),
        ("devsecops_severity", finding.severity.value),
        ("devsecops_location", finding.location.describe()),
        ("devsecops_fingerprint", finding.fingerprint),
        ("devsecops_verdict", decision.verdict.value),
    ]
    if decision.verdict.fails:
        call = pytest.TestReport(
            nodeid,
            location,
            keywords,
            "failed",
            messages.finding_text(decision, late.baseline_name),
            "call",
            user_properties=properties,
        )
    else:
        reason = messages.xfail_reason(decision, late.fail_on)
        call = pytest.TestReport(
            nodeid,
            location,
            keywords,
            "skipped",
            ("", 0, reason),
            "call",
            user_properties=properties,
        )
        call.wasxfail = reason
    hook = session.config.hook
    hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
    hook.pytest_runtest_logreport(
        report=pytest.TestReport(nodeid, location, keywords, "passed", None, "setup")
    )
    hook.pytest_runtest_logreport(report=call)
    # JUnit XML reads the properties from the teardown report (as for any test).
    hook.pytest_runtest_logreport(
        report=pytest.TestReport(
            nodeid, location, keywords, "passed", None, "teardown", user_properties=properties
        )
    )
    hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)


def _emit_error(session: pytest.Session, message: str, late: LateFindings) -> None:
    nodeid = f"devsecops/{TRAFFIC}::status"
    location = (late.config_file or f"devsecops/{TRAFFIC}", None, f"[{TRAFFIC}] status")
    keywords: dict[str, Literal[1]] = {"devsecops": 1, "dast": 1, TRAFFIC: 1}
    hook = session.config.hook
    session.testscollected += 1
    hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
    hook.pytest_runtest_logreport(
        report=pytest.TestReport(nodeid, location, keywords, "failed", message, "call")
    )
    hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)


__all__ = ["LATE_KEY", "WORKER_OUTPUT_KEY", "LateFindings"]
