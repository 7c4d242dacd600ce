"""The pytest side of a scan: one collector per scanner, one item per finding or entry."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import messages
from .core.finding import ScanResult
from .core.policy import Decision, Verdict
from .core.redact import printable


class SecurityFindingError(Exception):
    """Raised by a finding's test: the only exception a baselined finding's xfail expects."""


class StaleBaselineEntryError(Exception):
    """Raised by the test of a baseline entry that no longer matches any finding."""


class ScannerStatusError(Exception):
    """Raised by a scanner's status test when the scan did not complete with full coverage."""


_OWN_ERRORS = (SecurityFindingError, StaleBaselineEntryError, ScannerStatusError)


class ScannerFile(pytest.File):
    """A virtual file `devsecops/<scanner>` holding that scanner's status and finding items."""

    devsecops_virtual = True  # never read from disk; collected without pytest's file filters

    def __init__(
        self,
        *,
        result: ScanResult,
        decisions: list[Decision],
        view: dict[str, str],
        settled: Callable[[str], ScanResult] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.result = result
        self.decisions = decisions
        self.view = view  # baseline path, fail-on level, strictness: shown in messages
        self.settled = settled  # the scanner's whole result, once its checks have finished

    def collect(self) -> Iterator[pytest.Item]:
        if any(note.startswith("cached: ") for note in self.result.notes):
            self.extra_keyword_matches.add("cached")  # a listing run shows the last results
        for name, decision in item_names(self.decisions):
            if decision.verdict is Verdict.IGNORED:
                continue  # a policy rule dropped it: counted in the summary and the JSON report
            # An explicit node id: pytest parses `[...]` into params, and --lf/--sw/--deselect
            # compare parsed ids, so the id must be the parsed form of the string we print.
            yield FindingItem.from_parent(
                self, name=name, nodeid=f"{self.nodeid}::{name}", decision=decision, view=self.view
            )
        # Last: its verdict may wait for a check of the tool itself (bandit's canary on a warm
        # run), which then runs while the findings are reported instead of before them.
        yield StatusItem.from_parent(
            self,
            name="status",
            nodeid=f"{self.nodeid}::status",
            result=self.result,
            settled=self.settled,
        )


def item_names(decisions: list[Decision]) -> list[tuple[str, Decision]]:
    """Each decision's item name, in item order, numbered when two would be the same."""
    names: Counter[str] = Counter()
    named = []
    for decision in sorted(decisions, key=_order):
        name = _item_name(decision)
        names[name] += 1
        if names[name] > 1:
            name = f"{name[:-1]}#{names[name]}]"
        named.append((name, decision))
    return named


def _item_name(decision: Decision) -> str:
    if decision.finding is not None:
        return f"{decision.finding.rule}[{decision.finding.item_label}]"
    entry = decision.accepted_by
    where = printable(entry.path) or "-"
    return f"{printable(entry.rule)}[{where} stale {printable(entry.fingerprint[:8])}]"


def _order(decision: Decision) -> tuple[str, int, str, str]:
    if decision.finding is not None:
        loc = decision.finding.location
        return (loc.path or loc.url, loc.line, decision.finding.rule, decision.finding.fingerprint)
    entry = decision.accepted_by
    return (entry.path, 1 << 30, entry.rule, entry.fingerprint)


class DevsecopsItem(pytest.Item):
    """Shared rendering: our own exceptions are shown as text, never as a pytest traceback."""

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        if isinstance(excinfo.value, _OWN_ERRORS):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)


class StatusItem(DevsecopsItem):
    """Passes only when the scanner ran and covered everything it was asked to cover."""

    def __init__(
        self,
        *,
        result: ScanResult,
        settled: Callable[[str], ScanResult] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.result = result
        self.settled = settled
        self.devsecops_seconds = result.duration  # charged to this item's call duration
        self.add_marker(pytest.mark.devsecops)
        self.add_marker(getattr(pytest.mark, result.scanner))
        self.extra_keyword_matches.update({"status", result.scanner})
        self._describe(result)

    def _describe(self, result: ScanResult) -> None:
        self.user_properties[:] = [
            ("devsecops_scanner", result.scanner),
            ("devsecops_tool_version", f"{result.tool} {result.version}".strip()),
            ("devsecops_coverage", messages.status_summary(result)),
            *(("devsecops_note", note) for note in result.notes),
        ]

    def runtest(self) -> None:
        if self.result.pending is not None and self.settled is not None:
            # The findings were final before the tool's own check was: wait for its verdict.
            asked = time.monotonic()
            self.result = self.settled(self.result.scanner)
            self._describe(self.result)
            # Charged: the scan's whole time, of which the wait here is already part of the call.
            waited = time.monotonic() - asked
            self.devsecops_seconds = max(0.0, self.result.duration - waited)
        if self.result.unavailable and not self.result.error:
            pytest.skip(f"{self.result.scanner} did not run: {self.result.unavailable}")
        if not self.result.complete:
            raise ScannerStatusError(messages.status_text(self.result))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"[{self.result.scanner}] {messages.status_summary(self.result)}"


class FindingItem(DevsecopsItem):
    """One finding (or one stale baseline entry) whose outcome the policy has decided."""

    def __init__(self, *, decision: Decision, view: dict[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.decision = decision
        self.view = view
        self._mark(decision)

    def _mark(self, decision: Decision) -> None:
        self.add_marker(pytest.mark.devsecops)
        self.add_marker(getattr(pytest.mark, decision.scanner))
        self.extra_keyword_matches.update({decision.scanner, decision.verdict.value})
        finding, entry = decision.finding, decision.entry
        if finding is not None:
            self.extra_keyword_matches.update({finding.severity.value, finding.rule})
            self.user_properties += [
                ("devsecops_scanner", finding.scanner),
                ("devsecops_rule", finding.rule),
                ("devsecops_severity", finding.severity.value),
                ("devsecops_confidence", finding.confidence),
                ("devsecops_cwe", f"CWE-{finding.cwe}" if finding.cwe else ""),
                ("devsecops_location", finding.location.describe()),
                ("devsecops_fingerprint", finding.fingerprint),
            ]
        elif entry is not None:
            self.extra_keyword_matches.add(printable(entry.rule))
            self.user_properties += [
                ("devsecops_scanner", printable(entry.scanner)),
                ("devsecops_rule", printable(entry.rule)),
                ("devsecops_fingerprint", printable(entry.fingerprint)),
            ]
        self.user_properties.append(("devsecops_verdict", decision.verdict.value))
        if decision.verdict in (Verdict.ACCEPTED, Verdict.BELOW_GATE):
            self.add_marker(
                pytest.mark.xfail(
                    reason=messages.xfail_reason(decision, self.view["fail_on"]),
                    raises=SecurityFindingError,
                    strict=decision.verdict is Verdict.ACCEPTED,
                )
            )

    def runtest(self) -> None:
        decision = self.decision
        if decision.finding is not None:
            raise SecurityFindingError(messages.finding_text(decision, self.view["baseline"]))
        if decision.entry is not None and self.view["strict_baseline"] == "true":
            raise StaleBaselineEntryError(
                messages.stale_text(decision.entry, self.view["baseline"])
            )

    def reportinfo(self) -> tuple[Path, int | None, str]:
        finding, entry = self.decision.finding, self.decision.entry
        root = Path(self.config.rootpath)
        if finding is not None and finding.location.path:
            line = finding.location.line - 1 if finding.location.line else None
            return root / finding.location.path, line, f"[{finding.scanner}] {finding.rule}"
        if finding is not None:
            return (
                self.path,
                None,
                f"[{finding.scanner}] {finding.rule} {finding.location.describe()}",
            )
        entry = self.decision.accepted_by
        return Path(self.view["baseline_path"]), max(entry.line - 1, 0), f"[{entry.scanner}] stale"
