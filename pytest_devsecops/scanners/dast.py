"""The zero-code DAST scanner: start the configured app, scan it once, report what it saw."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from ..core.finding import Coverage, ScanResult, Skipped
from ..dast import canary
from ..dast.app import AppError
from ..dast.auth import SESSION_LOST
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
                    control = canary.check(self.options.active) if engine.name == "builtin" else ""
                    if control:
                        report = DastReport(engine.name, base + "/", error=control)
                    else:
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
    distinct = tuple(dict.fromkeys(page.url.split("#", 1)[0] for page in answered))
    gaps = tuple(Skipped(page.url, page.error) for page in report.pages if page.error)
    if report.stopped:
        # A limit the user set, so not a gap; but pages past it were not seen, and a baseline
        # update must not take the absence of their findings as proof that they are fixed. A
        # lost session (a lockout, a rate-limited login) is no choice of the user's: a gap.
        deliberate = not report.stopped.startswith(SESSION_LOST)
        gaps += (Skipped(report.target, f"stopped early: {report.stopped}", deliberate),)
    gaps += tuple(Skipped(f"API operation {op}", why) for op, why in report.unreachable)
    error = report.error
    login = _login_wall(report)
    if not error and not report.pages:
        error = f"the scan reached no page of {report.target}"
    elif not error and login:
        error = f"every page redirected to {login}: configure authentication"
    elif not error and len(distinct) < min_pages:
        statuses = sorted({str(page.status or page.error) for page in report.pages})
        error = (
            f"the scan saw {len(distinct)} in-scope page(s) with content, fewer than "
            f"devsecops_dast_min_pages={min_pages} (answers: {', '.join(statuses)[:200]})"
        )
    notes = [
        f"{len(report.pages)} pages fetched ({len(distinct)} distinct with content)"
        + (f", {report.requests} requests" if report.requests else "")
    ]
    if report.authenticated:
        behind = sum(1 for page in answered if page.authenticated)
        notes.append(f"logged in by {report.authenticated}; {behind} pages reached logged in")
        # On the summary line too: whether the scan saw the app as a user sees it.
        # Worded as prose: "authenticated: x" would read as a credential to the redaction step.
        tool = f"{tool} (logged in by {report.authenticated}; {behind} pages logged in)"
    notes += list(report.notes)
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
        hint=_LOGIN_HINT
        if login and not report.error
        else "make the app serve real pages at its base URL (or lower devsecops_dast_min_pages)"
        if error and not report.error
        else (_hint_for(report.error) if report.error else ""),
        notes=tuple(notes),
        duration=duration,
    )


_LOGIN_HINT = (
    "set devsecops_dast_login_url (with the field names and the environment variables that hold "
    "the credentials) or override the devsecops_dast_auth fixture"
)


def _hint_for(error: str) -> str:
    if error.startswith("authentication failed"):
        return _LOGIN_HINT
    if "negative control" in error:
        return "reinstall pytest-devsecops; if it persists, report it as a bug"
    return _HINTS[ZapError]


def _login_wall(report: DastReport) -> str:
    """The path every page ended on, when every answered page was redirected to one login page
    (a form with a password field, or a path that says login); "" otherwise."""
    answered = report.answered
    if not answered or not all(page.redirected_from or page.login_form for page in answered):
        return ""
    targets = {urlsplit(page.url).path for page in answered}
    if len(targets) != 1:
        return ""
    (path,) = targets
    looks = any(page.login_form for page in answered) or _LOGIN_PATH.search(path)
    return path if looks and any(page.redirected_from for page in answered) else ""


_LOGIN_PATH = re.compile(r"(?i)log-?in|sign-?in|auth|session")
