"""pytest hooks only: parse options, delegate to `SecurityRun`, register built-in scanners.

Imported whenever the plugin is installed: with the plugin off, only pytest, this module and
the option definitions load (a test checks `sys.modules`); everything else is imported by the
hook that needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from . import DevsecopsWarning, options

if TYPE_CHECKING:
    from .scanners.interface import Scanner
    from .scanners.registry import ScannerRegistry
    from .session import SecurityRun
    from .settings import Settings

RUN_KEY = pytest.StashKey["SecurityRun"]()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    # The DAST fixtures and marker are there whenever the plugin is installed: a test that asks
    # for them has opted in. Nothing else happens without --devsecops.
    from . import fixtures

    config.pluginmanager.register(fixtures, "devsecops-fixtures")
    config.addinivalue_line(
        "markers",
        "container_image(name): the image the devsecops_image fixture scans (a name, a docker "
        "save tarball or an OCI layout folder)",
    )
    config.addinivalue_line(
        "markers",
        "dast(active, paths, max_duration, max_pages, max_depth): options for the "
        "devsecops_dast fixture's scan",
    )
    xdist_controller = hasattr(config.hook, "pytest_configure_node") and not hasattr(
        config, "workerinput"
    )
    if xdist_controller:
        config.pluginmanager.register(XdistLateFindings(), "devsecops-xdist-late")
    # `pytest devsecops/bandit::B602[...]` (a printed node id) selects and switches us on, as
    # does --lf after failed security items. Neither possible: selection is not even imported.
    selection = None
    if any("devsecops" in str(arg) for arg in config.args) or any(
        config.getoption(dest, False) for dest in ("lf", "failedfirst")
    ):
        from . import selection as selection_mod

        selection = selection_mod.take_from_args(config) or selection_mod.from_last_failed(config)
    settings = options.resolve(config, on=selection is not None)
    if settings is None:
        _warn_ignored_report_options(config)
        return
    if selection is not None:
        from . import selection as selection_mod

        config.stash[selection_mod.SELECTION_KEY] = selection
        settings = selection_mod.narrow(settings, selection)
    from .session import SecurityRun

    config.pluginmanager.register(BuiltinScanners(settings), "devsecops-builtin-scanners")
    run = SecurityRun(config, settings)
    config.stash[RUN_KEY] = run
    _warn_surprises(config, run)
    config.addinivalue_line("markers", "devsecops: a security finding or scanner status item")
    for scanner in run.scanners:
        config.addinivalue_line(
            "markers", f"{scanner.name}: produced by the {scanner.name} scanner"
        )
    if xdist_controller:
        config.pluginmanager.register(XdistController(run), "devsecops-xdist-controller")


def _warn_ignored_report_options(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return  # the controller says it once
    given = [
        flag
        for flag, dest in (
            ("--devsecops-json", "devsecops_json"),
            ("--devsecops-sarif", "devsecops_sarif"),
            ("--devsecops-sarif-all", "devsecops_sarif_all"),
            ("--devsecops-sbom", "devsecops_sbom"),
        )
        if config.getoption(dest, None)
    ]
    if given:
        config.issue_config_time_warning(
            DevsecopsWarning(
                f"{', '.join(given)} ignored: pytest-devsecops is not switched on for this run "
                "(add --devsecops, or devsecops = true in the pytest configuration)"
            ),
            stacklevel=2,
        )


def _warn_surprises(config: pytest.Config, run: SecurityRun) -> None:
    """Warnings (configure time, so -W and filterwarnings apply) where users get surprised."""
    if hasattr(config, "workerinput"):
        return  # the controller says it once
    unexplained = [entry for entry in run.baseline.entries if not entry.reason.strip()]
    if unexplained:
        from .core.redact import printable  # baseline fields may be hostile: escape them

        sample = printable(", ".join(f"{e.scanner}/{e.rule}" for e in unexplained[:5]))
        more = " ..." if len(unexplained) > 5 else ""
        config.issue_config_time_warning(
            DevsecopsWarning(
                f"{len(unexplained)} baseline entr{'y' if len(unexplained) == 1 else 'ies'} "
                f"accept findings without a reason ({sample}{more}): give each a reason, an "
                f"owner and an expiry date in {run.settings.relative(run.settings.baseline)}"
            ),
            stacklevel=2,
        )
    if config.getoption("runxfail", False):
        config.issue_config_time_warning(
            DevsecopsWarning(
                "--runxfail turns accepted (baselined) and below-gate findings into failures: "
                "every finding the baseline accepts fails in this run"
            ),
            stacklevel=2,
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is not None:
        run.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return []
    from .listing import listing_option

    entries = len(run.baseline.entries)
    lines = [f"{run.settings.describe()} ({entries} entr{'y' if entries == 1 else 'ies'})"]
    lines.extend(run.settings.policy.header())
    if not run.settings.commit_range and run.settings.scanners is None:
        lines.append(
            "devsecops: commits not run: set devsecops_commit_range (e.g. origin/main..HEAD) "
            "to check commit signatures"
        )
    listing = listing_option(config)
    if listing:
        lines.append(
            f"devsecops: {listing}: no scanner runs and no request is sent; "
            "items show the last run's cached results (keyword 'cached') where there are any"
        )
    return lines + run.since_header()


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | pytest.ExitCode | None:
    if not config.getoption("devsecops_explain", None):
        return None
    from _pytest.main import wrap_session  # as pytest's own --fixtures does

    return wrap_session(config, _explain)


def _explain(config: pytest.Config, session: pytest.Session) -> int:
    from .explain import run_explain

    run = config.stash[RUN_KEY]
    return run_explain(
        run, str(config.getoption("devsecops_explain")), config.get_terminal_writer()
    )


@pytest.hookimpl(wrapper=True)
def pytest_sessionstart(session: pytest.Session) -> object:
    # A wrapper: this runs after every other sessionstart, so the header is printed before
    # any scan, and the xdist workers start meanwhile (they wait for the results file).
    outcome = yield
    run = session.config.stash.get(RUN_KEY, None)
    if run is None or session.config.getoption("devsecops_explain", None):
        return outcome  # --devsecops-explain scans (or not) by itself
    from .listing import listing_option
    from .progress import ScanProgress
    from .session import worker_scan_path, worker_scan_wait

    shared = worker_scan_path(session.config)
    listing = listing_option(session.config)
    if shared is not None:
        run.adopt(shared, worker_scan_wait(session.config))
    elif listing:
        run.list_only(listing)
    else:
        run.scan_now(ScanProgress(session.config), settle_later=True)
    return outcome


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    # tryfirst: our items exist before -k/-m deselection (and --lf/--sw) look at the list.
    run = config.stash.get(RUN_KEY, None)
    if run is None or run.scan is None:
        return
    from .selection import SELECTION_KEY

    selection = config.stash.get(SELECTION_KEY, None)
    ours: list[pytest.Item] = []
    for collector in run.collectors(session, selection):
        ours.extend(session.genitems(collector))
    if selection is not None:
        ours = selection.filter(ours)
    items.extend(ours)


@pytest.hookimpl(tryfirst=True)
def pytest_make_collect_report(collector: pytest.Collector) -> pytest.CollectReport | None:
    # Our virtual files collect themselves: --lf skips files that do not exist on disk
    # ("skipped 2 files"), which would drop every security failure it means to rerun.
    if getattr(collector, "devsecops_virtual", False):
        try:
            result = list(collector.collect())
        except Exception:
            return None  # pytest's own collection reports the error
        return pytest.CollectReport(collector.nodeid, "passed", None, result)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    # A scanner's time is charged to its status item, so --durations and JUnit show it.
    seconds = getattr(item, "devsecops_seconds", 0.0)
    if seconds and getattr(report, "when", "") == "call":
        report.duration += seconds  # type: ignore[attr-defined]
    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    from .late_state import LATE_KEY

    late = config.stash.get(LATE_KEY, None)
    if late is not None and not hasattr(config, "workerinput"):
        for line in (late.in_test_summary(), late.note):
            if line:
                terminalreporter.write_line(f"pytest-devsecops: {line}")
    run = config.stash.get(RUN_KEY, None)
    if run is None or run.scan is None or hasattr(config, "workerinput"):
        return
    from .listing import listing_lines
    from .summary import summary_lines

    terminalreporter.write_sep("=", "devsecops")
    listed = listing_lines(config, run.scanned.results)
    if listed:  # nothing ran: say where the items came from instead of how a scan went
        for line in listed:
            terminalreporter.write_line(line)
        return
    report = run.report()
    for line in [*summary_lines(report), run.scanned.timing()]:
        terminalreporter.write_line(line)
    for result in report.results[len(run.scanned.results) :]:  # late results: say what merged
        for note in result.notes:
            terminalreporter.write_line(f"  {result.scanner}: {note}")
    if run.baseline_note:
        terminalreporter.write_line(run.baseline_note)
    for line in run.fix_lines:
        terminalreporter.write_line(line)
    for line in run.expiring_lines():
        terminalreporter.write_line(line)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> object:
    result = yield
    from .late_state import LATE_KEY

    # After the loop (under xdist: after every worker reported), before pytest counts failures.
    if not hasattr(session.config, "workerinput") and LATE_KEY in session.config.stash:
        late = session.config.stash[LATE_KEY]
        run = session.config.stash.get(RUN_KEY, None)
        by_scan = run.decisions if run is not None else []
        scanned = [d.finding for d in by_scan if d.finding and d.scanner == "dast"]
        late.report_traffic(session, scanned)
        late.note = late.accept_new(session)
        if run is not None and late.reported is not None:
            traffic, decisions = late.reported
            run.late_results = ((traffic,), decisions)
        if run is not None and late.also_seen:
            run.note_also_seen(late.also_seen)
    return result


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from .late_state import LATE_KEY
    from .late_state import WORKER_OUTPUT_KEY as LATE_OUTPUT_KEY

    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and LATE_KEY in session.config.stash:
        workeroutput[LATE_OUTPUT_KEY] = session.config.stash[LATE_KEY].to_worker_output()
    run = session.config.stash.get(RUN_KEY, None)
    if run is None or run.scan is None or hasattr(session.config, "workerinput"):
        return
    # Whatever ran or was deselected, stopped (-x) or hidden: the checks still running after
    # the scan finish here, and the last-run listing gets their verdict.
    run.settle()
    problems = run.write_reports()
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for problem in problems:
            if reporter is not None:
                reporter.write_line(f"pytest-devsecops: {problem}", red=True)
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR


class BuiltinScanners:
    """Our scanners, registered through the public hook like anyone else's (and last).

    Each is registered as a `LazyScanner`: its module is imported only when the run uses it.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @pytest.hookimpl(trylast=True)
    def pytest_devsecops_register_scanners(
        self, config: pytest.Config, registry: ScannerRegistry
    ) -> None:
        from .scanners.lazy import LazyScanner

        settings = self.settings
        registry.add(LazyScanner("bandit", lambda: _bandit(settings)))
        registry.add(LazyScanner("pip-audit", lambda: _pip_audit(settings)))
        registry.add(LazyScanner("secrets", lambda: _secrets(settings)))
        named = settings.scanners or ()
        registry.add(LazyScanner("iac", lambda: _iac(settings, required="iac" in named)))
        registry.add(
            LazyScanner("actions", lambda: _actions(settings, required="actions" in named))
        )
        if settings.commit_range:
            registry.add(LazyScanner("commits", lambda: _commits(settings)))
        elif "commits" in named:
            raise pytest.UsageError(
                "pytest-devsecops: the commits scanner needs ini devsecops_commit_range "
                "(e.g. origin/main..HEAD)"
            )
        if settings.image.images or "image" in named:
            registry.add(LazyScanner("image", lambda: _image(settings)))
        if settings.import_patterns:
            registry.add(LazyScanner("sarif", lambda: _sarif_import(settings)))
        if settings.dast_target.configured:
            registry.add(LazyScanner("dast", lambda: _dast(settings, config)))


def _bandit(settings: Settings) -> Scanner:
    from .scanners.bandit import BanditScanner

    return BanditScanner(
        honour_nosec=settings.bandit_honour_nosec,
        config_file=settings.bandit_config,
        allow_skips=settings.bandit_allow_skips,
    )


def _pip_audit(settings: Settings) -> Scanner:
    from .scanners.dependencies.scanner import PipAuditScanner

    return PipAuditScanner(
        requirements=settings.requirements,
        osv_db=settings.osv_db,
        more_dbs=settings.image.osv_dbs[1:] if settings.osv_db else (),
        service=settings.audit_service,
        osv_url=settings.osv_url,
        timeout=settings.audit_timeout,
        default_severity=settings.audit_default_severity,
        skip=settings.audit_skip,
        max_age_days=settings.osv_max_age_days,
    )


def _secrets(settings: Settings) -> Scanner:
    from .scanners.secrets.scanner import SecretsScanner

    named = settings.scanners is not None and "secrets" in settings.scanners
    return SecretsScanner(
        engine=settings.secrets_engine,
        trivy=Path(settings.trivy_path) if settings.trivy_path else None,
        history_ref=settings.secrets_history,
        # Asked for by name, an engine or a trivy path: a missing trivy is an error.
        trivy_required=named or settings.secrets_engine_set or bool(settings.trivy_path),
    )


def _iac(settings: Settings, required: bool) -> Scanner:
    from .scanners.iac import IacScanner

    return IacScanner(trivy_path=settings.trivy_path, required=required, rego=settings.rego)


def _actions(settings: Settings, required: bool) -> Scanner:
    from .scanners.actions import ActionsScanner

    return ActionsScanner(zizmor_path=settings.zizmor_path, required=required)


def _commits(settings: Settings) -> Scanner:
    from .scanners.commits import CommitsScanner

    return CommitsScanner(
        commit_range=settings.commit_range, allowed_signers=settings.allowed_signers
    )


def _image(settings: Settings) -> Scanner:
    from .scanners.image.scanner import ImageScanner

    return ImageScanner(settings.image)


def _sarif_import(settings: Settings) -> Scanner:
    from .scanners.sarif_import import SarifImportScanner

    return SarifImportScanner(settings.import_patterns)


def _dast(settings: Settings, config: pytest.Config) -> Scanner:
    from .progress import terminal_progress
    from .scanners.dast import DastScanner

    return DastScanner(
        settings.dast_target,
        settings.dast_options,
        settings.dast_min_pages,
        choice=settings.dast_engine,
        config_file=settings.config_file,
        levels=settings.zap_rules,
        progress=terminal_progress(config),
    )


class XdistLateFindings:
    """Collects the late findings (test traffic, in-test scans) of every xdist worker."""

    def pytest_testnodedown(self, node: object, error: object) -> None:
        from .late_state import WORKER_OUTPUT_KEY as LATE_OUTPUT_KEY
        from .late_state import late_findings

        output = getattr(node, "workeroutput", {}).get(LATE_OUTPUT_KEY)
        config = getattr(node, "config", None)
        if output and config is not None:
            late_findings(config).merge_worker_output(output)


class XdistController:
    """Hands the controller's scan to each xdist worker, so nothing is scanned twice."""

    def __init__(self, run: SecurityRun) -> None:
        self.run = run

    def pytest_configure_node(self, node: object) -> None:
        from .session import WORKER_INPUT_KEY, WORKER_WAIT_KEY

        workerinput = getattr(node, "workerinput")  # noqa: B009 - set by xdist on WorkerController
        workerinput[WORKER_INPUT_KEY] = str(Path(self.run.results_path))
        # Every scanner's timeout plus slack: the controller never takes longer than that.
        settings = self.run.settings
        workerinput[WORKER_WAIT_KEY] = settings.timeout * (len(self.run.scanners) + 1) + 60
