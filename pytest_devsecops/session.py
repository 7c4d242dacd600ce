"""One security run per pytest session: scan on the controller, build items everywhere."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from . import __version__, runner
from .core import atomic, baseline_update
from .core import baseline as baseline_mod
from .core.baseline import Baseline, BaselineError, Entry
from .core.finding import ScanResult
from .core.policy import Decision, Policy, Verdict, decide
from .items import ScannerFile
from .reporters.cyclonedx import CycloneDxReporter
from .reporters.html import HtmlReporter
from .reporters.interface import Report, Reporter
from .reporters.json_report import JsonReporter
from .reporters.sarif import SarifReporter
from .scanners.interface import ScanContext, Scanner
from .scanners.registry import ScannerRegistry
from .settings import Settings

WORKER_INPUT_KEY = "devsecops_scan"


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
        self.scan: runner.SessionScan | None = None
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

    def scan_now(self) -> None:
        """Run every scanner (controller only), update the baseline if asked, decide outcomes."""
        settings = self.settings
        cache = getattr(self.config, "cache", None)
        context = ScanContext(
            cache_dir=cache.mkdir("devsecops") if cache is not None else None,
            root=settings.root,
            paths=settings.paths,
            excludes=settings.excludes,
            timeout=settings.timeout,
            workdir=self.workdir,
        )
        self.scan = runner.run_scanners(self.scanners, context)
        runner.save(self.scan, self.results_path)
        if settings.update_baseline:
            self._update_baseline()
        self._decide()
        if settings.fix:
            from .scanners.dependencies.fix import fix_pins

            self.fix_lines = fix_pins(
                settings.requirements, settings.root, self.scanned.results, settings.fix
            )

    def adopt(self, path: Path) -> None:
        """Use the controller's scan (xdist worker): never scan twice in one session."""
        self.scan = runner.load(path)
        self._decide()

    def _decide(self) -> None:
        policy = Policy(self.settings.fail_on, self.scanned.today, self.settings.strict_baseline)
        self.decisions = decide(self.scanned.results, self.baseline, policy)

    def _update_baseline(self) -> None:
        policy = Policy(self.settings.fail_on, self.scanned.today, self.settings.strict_baseline)
        decisions = decide(self.scanned.results, self.baseline, policy)
        additions = [
            Entry.for_finding(d.found)
            for d in decisions
            if d.verdict in (Verdict.NEW, Verdict.BELOW_GATE)
        ]
        removals = [
            d.entry.fingerprint for d in decisions if d.verdict is Verdict.STALE and d.entry
        ]
        if not additions and not removals and self.baseline.exists:
            self.baseline_note = "baseline already up to date; not rewritten"
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
            f"({self.settings.relative(self.settings.baseline)})"
        )

    def collectors(self, session: pytest.Session) -> list[ScannerFile]:
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
            )
            for result in self.scanned.results
        ]

    def report(self) -> Report:
        extra_results, extra_decisions = self.late_results
        return Report(
            root=self.settings.root,
            baseline=self.settings.relative(self.settings.baseline),
            fail_on=self.settings.fail_on.value,
            plugin_version=__version__,
            results=self.scanned.results + extra_results,
            decisions=tuple(self.decisions) + extra_decisions,
        )

    def write_reports(self) -> list[str]:
        """Write the requested report files; returns the problems (empty when all went well)."""
        problems = []
        wanted: list[tuple[Path | None, Reporter]] = [
            (self.settings.json_report, JsonReporter()),
            (self.settings.sarif_report, SarifReporter()),
            (
                self.settings.sbom_report,
                CycloneDxReporter(
                    self.settings.sbom_scope, environment_audit=not self.settings.requirements
                ),
            ),
            (
                self.settings.html_report,
                HtmlReporter(strict_baseline=self.settings.strict_baseline),
            ),
        ]
        for path, reporter in wanted:
            if path is None or self.scan is None:
                continue
            try:
                if path.is_symlink() or (path.exists() and not path.is_file()):
                    raise atomic.UnsafePathError(f"{path} is a link or not a regular file")
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic.write_atomic(path, reporter.render(self.report()).encode("utf-8"))
            except (OSError, atomic.UnsafePathError) as exc:
                problems.append(f"could not write {path}: {exc}")
        return problems

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def load_baseline(path: Path) -> Baseline:
    try:
        return baseline_mod.load(path)
    except BaselineError as exc:
        raise pytest.UsageError(
            f"pytest-devsecops: the baseline cannot be used: {exc}\n"
            "The file was left untouched; fix it by hand (or move it away and run "
            "--devsecops-update-baseline to start a new one)."
        ) from None


def worker_scan_path(config: pytest.Config) -> Path | None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None or WORKER_INPUT_KEY not in workerinput:
        return None
    return Path(workerinput[WORKER_INPUT_KEY])
