"""One security run per pytest session: scan on the controller, build items everywhere."""

from __future__ import annotations

import dataclasses
import datetime
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from . import __version__, listing, runner, where
from .core import atomic, baseline_update, paths
from .core import baseline as baseline_mod
from .core.baseline import Baseline, BaselineError, Entry
from .core.finding import Finding, ScanResult
from .core.policy import (
    Decision,
    Policy,
    Verdict,
    decide,
    expiring_soon,
    uncovered_entries,
)
from .core.redact import printable
from .core.since import ChangeSet
from .core.since import apply as apply_since
from .items import ScannerFile
from .reporters.interface import Report, Reporter
from .scanners.interface import ScanContext, Scanner
from .scanners.registry import ScannerRegistry
from .selection import Selection
from .settings import Settings

WORKER_INPUT_KEY = "devsecops_scan"


def _distributed(config: pytest.Config) -> bool:
    """Whether xdist workers will read the results file (`-n`, `--dist`, `--tx`)."""
    return getattr(config.option, "dist", "no") != "no" or bool(getattr(config.option, "tx", None))


WORKER_WAIT_KEY = "devsecops_scan_wait"


class SecurityRun:
    """The settings, scanners, baseline and (once scanned) the decisions of this session."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.baseline = load_baseline(settings.baseline)
        registry = ScannerRegistry()
        config.hook.pytest_devsecops_register_scanners(config=config, registry=registry)
        try:
            self.scanners: list[Scanner] = registry.select(settings.scanners)
        except ValueError as exc:
            raise pytest.UsageError(f"pytest-devsecops: {exc}") from None
        self.workdir = Path(tempfile.mkdtemp(prefix="pytest-devsecops-"))
        self.changes: ChangeSet | None = None
        if settings.since and not hasattr(config, "workerinput"):
            self.changes = _changes_since(settings.root, settings.since)
        self.scan: runner.SessionScan | None = None
        self._settled = True  # a scan with checks still running sets it to False
        self.decisions: list[Decision] = []
        self.baseline_note = ""
        self.fix_lines: list[str] = []  # what --devsecops-fix changed or would change
        # Findings that arrived after collection (test traffic), added at the end of the run.
        self.late_results: tuple[tuple[ScanResult, ...], tuple[Decision, ...]] = ((), ())

    @property
    def scanned(self) -> runner.SessionScan:
        """The scan of this session; asking before `scan_now`/`adopt` is a bug."""
        if self.scan is None:
            raise RuntimeError("pytest-devsecops: the scan has not run yet")
        return self.scan

    @property
    def results_path(self) -> Path:
        return self.workdir / "results.json"

    def scan_now(self, listener: runner.Listener | None = None, settle_later: bool = False) -> None:
        """Run every scanner (controller only), update the baseline if asked, decide outcomes.

        With `settle_later`, checks still running when the findings are final (bandit's canary
        on a warm run) are waited for by `settle`: by the status items, at the latest at the
        end of the session. Whatever writes results (a baseline update, xdist's results file)
        waits for them here."""
        from .scanners.bandit_run import usable_cpus

        settings = self.settings
        cache = self._result_cache()
        context = ScanContext(
            cache_dir=cache.mkdir("devsecops") if cache is not None else None,
            cache_read=not self.config.getoption("cacheclear", False),
            jobs=settings.jobs or usable_cpus(),
            root=settings.root,
            paths=settings.paths,
            excludes=settings.excludes,
            timeout=settings.timeout,
            workdir=self.workdir,
        )
        self.scan = runner.run_scanners(self.scanners, context, listener)
        self._settled = False
        if (
            not settle_later
            or settings.update_baseline
            or settings.fix
            or _distributed(self.config)
        ):
            self.settle()
        if settings.update_baseline:
            self._update_baseline()
        if self.changes is not None:
            since_path = self.results_path.with_name("since.json")
            since_path.write_text(json.dumps(self.changes.to_dict()), encoding="utf-8")
        if _distributed(self.config):
            # Written last, renamed into place: the workers' signal that the baseline and
            # since.json they read next are this session's.
            runner.save(runner.to_data(self.scan), self.results_path)
        self._decide()
        if not self._settled and any(d.verdict is Verdict.STALE for d in self.decisions):
            # A failed check means the scan covered nothing, so no entry is stale: an entry
            # is only called stale once the verdict is known.
            self.settle()
            self._decide()
        if settings.fix:
            from .scanners.dependencies.fix import fix_pins

            self.fix_lines = fix_pins(
                settings.requirements, settings.root, self.scanned.results, settings.fix
            )

    def settle(self) -> None:
        """Wait for the checks still running after the scan, then keep its results for
        `--collect-only`. Decisions stand: they depend on findings, which were final."""
        if self._settled or self.scan is None:
            return
        self.scan = self.scan.settle()
        self._settled = True
        cache = self._result_cache()
        if cache is not None:  # what --collect-only shows next time, without scanning
            listing.remember(cache, runner.to_data(self.scan))

    def _result_cache(self) -> pytest.Cache | None:
        """pytest's cache, unless devsecops_cache = false (listing runs read it regardless)."""
        return getattr(self.config, "cache", None) if self.settings.cache else None

    def result_of(self, scanner: str) -> ScanResult:
        """A scanner's whole result, once its checks have finished."""
        self.settle()
        return next(result for result in self.scanned.results if result.scanner == scanner)

    def list_only(self, why: str) -> None:
        """`--collect-only` and friends: no tool runs and no request is sent. Items come from
        the last run's cached results (marked as cached), else one status item per scanner."""
        self.scan = listing.results(self.scanners, getattr(self.config, "cache", None), why)
        runner.save(runner.to_data(self.scan), self.results_path)
        self._decide()

    def load_cached(self) -> bool:
        """Use the last scan saved in pytest's cache; False when there is none to use."""
        cache = getattr(self.config, "cache", None)
        if cache is None:
            return False
        scan = listing.last_scan(cache)  # what --collect-only shows, too
        if scan is None:
            return False
        wanted = {scanner.name for scanner in self.scanners}
        self.scan = dataclasses.replace(
            scan, results=tuple(r for r in scan.results if r.scanner in wanted)
        )
        self._decide()
        return True

    def adopt(self, path: Path, wait: float = 0.0) -> None:
        """Use the controller's scan (xdist worker): never scan twice in one session. Workers
        start while the controller scans, so the file may take up to `wait` seconds to appear."""
        deadline = time.monotonic() + wait
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.scan = runner.load(path)
        if self.settings.update_baseline:  # the controller has just rewritten it
            self.baseline = load_baseline(self.settings.baseline)
        if path.with_name("since.json").is_file():
            data = json.loads(path.with_name("since.json").read_text(encoding="utf-8"))
            self.changes = ChangeSet.from_dict(data)
        self._decide()

    def policy(self) -> Policy:
        """The decision rules of this run: gate, policy rules, acceptance rules."""
        config = self.settings.policy
        return Policy(
            self.settings.fail_on,
            self.scanned.today,
            self.settings.strict_baseline,
            rules=config.all_rules,
            require=config.require,
            max_acceptance_days=config.max_acceptance_days,
        )

    def _decide(self) -> None:
        self.decisions = decide(self.scanned.results, self.baseline, self.policy())
        if self.changes is not None:
            self.decisions = apply_since(self.decisions, self.changes, self.line_scanners)

    @property
    def line_scanners(self) -> list[str]:
        """Scanners whose findings sit on lines of files: the ones --devsecops-since gates."""
        return [s.name for s in self.scanners if getattr(s, "reports_file_lines", False)]

    def since_header(self) -> list[str]:
        if self.changes is None:
            return []
        others = [s.name for s in self.scanners if s.name not in self.line_scanners]
        line = (
            f"devsecops: since {self.changes.ref} (merge base {self.changes.base[:12]}): "
            f"findings on unchanged lines are reported below the gate "
            f"({', '.join(self.line_scanners) or 'no scanner'})"
        )
        if others:
            line += f"; no effect on {', '.join(others)} (no file lines)"
        return [line]

    def _update_baseline(self) -> None:
        policy = self.policy()
        decisions = decide(self.scanned.results, self.baseline, policy)
        horizon = policy.max_acceptance_days
        expires = policy.today + datetime.timedelta(days=horizon) if horizon is not None else None
        additions = [
            dataclasses.replace(Entry.for_finding(d.found), expires=expires)
            for d in decisions
            if d.verdict in (Verdict.NEW, Verdict.BELOW_GATE)
            # Nothing a baseline entry could change: a policy rule fails or reports it anyway.
            and (d.rule is None or d.rule.action == "gate")
        ]
        removals = [
            d.entry.fingerprint for d in decisions if d.verdict is Verdict.STALE and d.entry
        ]
        kept = _kept_note(len(uncovered_entries(self.scanned.results, self.baseline)))
        if not additions and not removals and self.baseline.exists:
            self.baseline_note = f"baseline already up to date; not rewritten{kept}"
            return
        try:
            text = baseline_update.render(self.baseline, additions, removals)
            atomic.replace_if_unchanged(
                self.settings.baseline,
                text.encode("utf-8"),
                self.baseline.digest,
                self.settings.root,
            )
        except (BaselineError, atomic.UnsafePathError, atomic.ConcurrentEditError, OSError) as exc:
            raise pytest.UsageError(f"pytest-devsecops: baseline not updated: {exc}") from None
        self.baseline = baseline_mod.parse(self.settings.baseline, text.encode("utf-8"))
        self.baseline_note = (
            f"baseline updated: {len(additions)} added, {len(removals)} removed "
            f"({self.settings.relative(self.settings.baseline)}){kept}"
        )

    def note_also_seen(self, findings: Sequence[Finding]) -> None:
        """Findings the test traffic saw too: one finding, both sources, in the reports."""
        keys = {(finding.rule, finding.identity) for finding in findings}
        source = ("also seen in", "the test traffic (devsecops_http)")
        self.decisions = [
            dataclasses.replace(
                d, finding=dataclasses.replace(d.finding, details=(*d.finding.details, source))
            )
            if d.finding is not None and (d.finding.rule, d.finding.identity) in keys
            else d
            for d in self.decisions
        ]

    def expiring_lines(self) -> list[str]:
        """Acceptances that run out within 14 days, so they are renewed before they fail."""
        if self.scan is None:
            return []
        soon = expiring_soon(self.baseline, self.scan.today)
        if not soon:
            return []
        baseline = self.settings.relative(self.settings.baseline)
        lines = [f"expiring soon: {len(soon)} acceptance(s) in {baseline} within 14 days"]
        lines.extend(
            f"  {entry.expires} {entry.scanner} {entry.rule} in {printable(entry.path) or '-'} "
            f"(owner: {printable(entry.owner) or 'nobody'}; {baseline}:{entry.line})"
            for entry in soon[:20]
        )
        return lines

    def collectors(
        self, session: pytest.Session, selection: Selection | None = None
    ) -> list[ScannerFile]:
        """One virtual `devsecops/<scanner>` file per scanner, in a stable order."""
        view = {
            "baseline": self.settings.relative(self.settings.baseline),
            "baseline_path": str(self.settings.baseline),
            "fail_on": self.settings.fail_on.value,
            "strict_baseline": "true" if self.settings.strict_baseline else "false",
        }
        return [
            ScannerFile.from_parent(
                session,
                path=self.settings.root / "devsecops" / result.scanner,
                result=result,
                decisions=[d for d in self.decisions if d.scanner == result.scanner],
                view=view,
                settled=self.result_of,
            )
            for result in self.scanned.results
            if selection is None or selection.wants_scanner(result.scanner)
        ]

    def report(self) -> Report:
        self.settle()
        extra_results, extra_decisions = self.late_results
        return Report(
            root=self.settings.root,
            baseline=self.settings.relative(self.settings.baseline),
            fail_on=self.settings.fail_on.value,
            plugin_version=__version__,
            results=self.scanned.results + extra_results,
            decisions=tuple(self.decisions) + extra_decisions,
            repo_root=where.repo_root(self.settings.root),
            config_file=self.settings.config_file,
            app_declared_in=where.app_declaration(
                self.config, self.settings.root, self.settings.config_file
            ),
        )

    def write_reports(self) -> list[str]:
        """Write the requested report files; returns the problems (empty when all went well)."""
        problems = []
        # Each reporter is imported only when its report is asked for (most runs ask for none).
        wanted: list[tuple[Path | None, Callable[[], Reporter]]] = [
            (self.settings.json_report, self._json_reporter),
            (self.settings.sarif_report, self._sarif_reporter),
            (self.settings.sbom_report, self._sbom_reporter),
            (self.settings.html_report, self._html_reporter),
        ]
        for path, make_reporter in wanted:
            if path is None or self.scan is None:
                continue
            try:
                reporter = make_reporter()
                explicit = paths.given_on_command_line(self.config.invocation_params.args, path)
                path = paths.report_destination(path, self.settings.root, explicit)
                atomic.write_atomic(path, reporter.render(self.report()).encode("utf-8"))
            except (OSError, atomic.UnsafePathError, paths.PathRefused) as exc:
                problems.append(f"could not write {path}: {exc}")
            except ImportError as exc:  # an optional library (the SBOM's) is not installed
                problems.append(
                    f"could not write {path}: {exc.name or exc} is not installed; "
                    "install the extra: pip install 'pytest-devsecops[sbom]'"
                )
        return problems

    def _json_reporter(self) -> Reporter:
        from .reporters.json_report import JsonReporter

        return JsonReporter()

    def _sarif_reporter(self) -> Reporter:
        from .reporters.sarif import SarifReporter

        return SarifReporter(include_all=self.settings.sarif_all)

    def _sbom_reporter(self) -> Reporter:
        from .reporters.cyclonedx import CycloneDxReporter

        return CycloneDxReporter(
            self.settings.sbom_scope, environment_audit=not self.settings.requirements
        )

    def _html_reporter(self) -> Reporter:
        from .reporters.html import HtmlReporter

        return HtmlReporter(strict_baseline=self.settings.strict_baseline)

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def _kept_note(count: int) -> str:
    if not count:
        return ""
    return f"; kept {count} entr{'y' if count == 1 else 'ies'} not covered by this run"


def load_baseline(path: Path) -> Baseline:
    try:
        return baseline_mod.load(path)
    except BaselineError as exc:
        raise pytest.UsageError(
            f"pytest-devsecops: the baseline cannot be used: {exc}\n"
            "The file was left untouched; fix it by hand (or move it away and run "
            "--devsecops-update-baseline to start a new one)."
        ) from None


def _changes_since(root: Path, ref: str) -> ChangeSet:
    from .git_changes import SinceError, changes_since

    try:
        return changes_since(root, ref)
    except SinceError as exc:
        raise pytest.UsageError(f"pytest-devsecops: {exc}") from None


def worker_scan_path(config: pytest.Config) -> Path | None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None or WORKER_INPUT_KEY not in workerinput:
        return None
    return Path(workerinput[WORKER_INPUT_KEY])


def worker_scan_wait(config: pytest.Config) -> float:
    """How long an xdist worker waits for the controller's scan (the controller says)."""
    workerinput = getattr(config, "workerinput", None) or {}
    return float(workerinput.get(WORKER_WAIT_KEY, 0.0))
