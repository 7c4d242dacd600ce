"""The zero-code DAST scanner: start the configured app, scan it once, report what it saw."""

from __future__ import annotations

import time

from ..core.finding import Coverage, ScanResult, Skipped
from ..dast.app import AppError
from ..dast.findings import to_findings
from ..dast.interface import DastOptions, DastReport
from ..dast.rules_file import RuleLevels
from ..dast.scope import ScopeError, resolve_scope
from ..dast.target import TargetConfig, running
from ..dast.zap.client import ZapError
from ..dast.zap.engine import Progress, _quiet
from ..dast.zap.selection import EngineChoice, open_engine
from .interface import ScanContext


class DastScanner:
    """DAST of the app under test, with the built-in engine or ZAP (see `EngineChoice`)."""

    name = "dast"

    def __init__(
        self,
        target: TargetConfig,
        options: DastOptions,
        min_pages: int = 1,
        choice: EngineChoice | None = None,
        config_file: str = "",
        levels: RuleLevels | None = None,
        progress: Progress = _quiet,
    ) -> None:
        self.target = target
        self.options = options
        self.min_pages = min_pages
        self.choice = choice or EngineChoice()
        self.config_file = config_file
        self.levels = levels
        self.progress = progress

    @property
    def time_budget(self) -> float:
        """The scan's own time limit plus room to start the app and ZAP (see runner)."""
        return self.options.max_seconds + 300.0

    def scan(self, context: ScanContext) -> ScanResult:
        started = time.monotonic()
        tool = "dast"
        try:
            with running(self.target) as base:
                scope = resolve_scope(base, self.target.allowed_hosts)
                with open_engine(self.choice, self.progress) as (engine, note):
                    tool = note
                    report = engine.scan(scope, base + "/", self.options)
        except (AppError, ScopeError, ZapError) as exc:
            return ScanResult(
                self.name,
                tool,
                "",
                error=str(exc),
                hint=_HINTS[type(exc)],
                coverage=Coverage(requested=(self.target.describe(),), unit="pages"),
            )
        return build_result(
            self.name,
            tool,
            report,
            self.min_pages,
            self.config_file,
            time.monotonic() - started,
            self.levels,
        )


_HINTS: dict[type, str] = {
    AppError: "check the app settings (devsecops_app, devsecops_app_command, devsecops_target)",
    ScopeError: "scan a loopback app, or list the host in devsecops_allowed_hosts",
    ZapError: "check devsecops_zap_url / devsecops_zap_command and ZAP_API_KEY, or set "
    "devsecops_dast_engine = builtin",
}


def build_result(
    name: str,
    tool: str,
    report: DastReport,
    min_pages: int,
    config_file: str,
    duration: float,
    levels: RuleLevels | None = None,
) -> ScanResult:
    """Findings and evidence of coverage: too little seen is an error, never a clean pass."""
    answered = report.answered
    gaps = tuple(Skipped(page.url, page.error) for page in report.pages if page.error)
    if report.stopped:
        # A limit the user set, so not a gap; but pages past it were not seen, and a baseline
        # update must not take the absence of their findings as proof that they are fixed.
        gaps += (Skipped(report.target, f"stopped early: {report.stopped}", deliberate=True),)
    error = report.error
    if not error and not report.pages:
        error = f"the scan reached no page of {report.target}"
    elif not error and len(answered) < min_pages:
        statuses = sorted({str(page.status or page.error) for page in report.pages})
        error = (
            f"the scan saw {len(answered)} in-scope page(s) with content, fewer than "
            f"devsecops_dast_min_pages={min_pages} (answers: {', '.join(statuses)[:200]})"
        )
    notes = [
        f"{len(report.pages)} pages fetched"
        + (f", {report.requests} requests" if report.requests else "")
    ]
    if report.out_of_scope:
        notes.append(f"{len(report.out_of_scope)} out-of-scope links or redirects not followed")
    if report.stopped:
        notes.append(f"stopped early: {report.stopped}")
    return ScanResult(
        name,
        tool,
        "",
        tuple(to_findings(report.alerts, name, config_file, levels)),
        Coverage(
            requested=(report.target,),
            scanned=tuple(p.url for p in answered),
            skipped=gaps,
            unit="pages",
        ),
        error=error,
        hint="make the app serve real pages at its base URL (or lower devsecops_dast_min_pages)"
        if error and not report.error
        else (_HINTS[ZapError] if report.error else ""),
        notes=tuple(notes),
        duration=duration,
    )
