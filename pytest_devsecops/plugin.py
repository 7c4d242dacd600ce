"""pytest hooks only: parse options, delegate to `SecurityRun`, register built-in scanners."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import options
from .late import LATE_KEY
from .late import WORKER_OUTPUT_KEY as LATE_OUTPUT_KEY
from .late_state import late_findings
from .progress import terminal_progress
from .scanners.registry import ScannerRegistry
from .session import WORKER_INPUT_KEY, SecurityRun, worker_scan_path
from .settings import Settings
from .summary import summary_lines

RUN_KEY = pytest.StashKey[SecurityRun]()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    # The DAST fixtures and marker are there whenever the plugin is installed: a test that asks
    # for them has opted in. Nothing else happens without --devsecops.
    from . import dast_fixtures, image_fixtures

    config.pluginmanager.register(dast_fixtures, "devsecops-dast-fixtures")
    config.pluginmanager.register(image_fixtures, "devsecops-image-fixtures")
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
    settings = options.resolve(config)
    if settings is None:
        return
    config.pluginmanager.register(BuiltinScanners(settings), "devsecops-builtin-scanners")
    run = SecurityRun(config, settings)
    config.stash[RUN_KEY] = run
    config.addinivalue_line("markers", "devsecops: a security finding or scanner status item")
    for scanner in run.scanners:
        config.addinivalue_line(
            "markers", f"{scanner.name}: produced by the {scanner.name} scanner"
        )
    if xdist_controller:
        config.pluginmanager.register(XdistController(run), "devsecops-xdist-controller")


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is not None:
        run.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return []
    entries = len(run.baseline.entries)
    lines = [f"{run.settings.describe()} ({entries} entr{'y' if entries == 1 else 'ies'})"]
    # The scan ran before the header is printed, so the header can say which DAST engine ran.
    for result in run.scan.results if run.scan is not None else ():
        if result.scanner == "dast":
            lines.append(f"devsecops: dast engine: {result.tool}")
    return lines


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    shared = worker_scan_path(session.config)
    if shared is not None:
        run.adopt(shared)
    else:
        # Runs before xdist starts its workers (its own sessionstart is trylast).
        run.scan_now()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    # tryfirst: our items exist before -k/-m deselection looks at the list.
    run = config.stash.get(RUN_KEY, None)
    if run is None or run.scan is None:
        return
    for collector in run.collectors(session):
        items.extend(session.genitems(collector))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    late = config.stash.get(LATE_KEY, None)
    if late is not None and not hasattr(config, "workerinput"):
        for line in (late.in_test_summary(), late.note):
            if line:
                terminalreporter.write_line(f"pytest-devsecops: {line}")
    run = config.stash.get(RUN_KEY, None)
    if run is None or run.scan is None or hasattr(config, "workerinput"):
        return
    terminalreporter.write_sep("=", "devsecops")
    for line in summary_lines(run.report()):
        terminalreporter.write_line(line)
    if run.baseline_note:
        terminalreporter.write_line(run.baseline_note)
    for line in run.fix_lines:
        terminalreporter.write_line(line)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> object:
    result = yield
    # After the loop (under xdist: after every worker reported), before pytest counts failures.
    if not hasattr(session.config, "workerinput") and LATE_KEY in session.config.stash:
        late = session.config.stash[LATE_KEY]
        late.report_traffic(session)
        late.note = late.accept_new(session)
        run = session.config.stash.get(RUN_KEY, None)
        if run is not None and late.reported is not None:
            traffic, decisions = late.reported
            run.late_results = ((traffic,), decisions)
    return result


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and LATE_KEY in session.config.stash:
        workeroutput[LATE_OUTPUT_KEY] = session.config.stash[LATE_KEY].to_worker_output()
    run = session.config.stash.get(RUN_KEY, None)
    if run is None or run.scan is None or hasattr(session.config, "workerinput"):
        return
    problems = run.write_reports()
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for problem in problems:
            if reporter is not None:
                reporter.write_line(f"pytest-devsecops: {problem}", red=True)
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR


class BuiltinScanners:
    """Our scanners, registered through the public hook like anyone else's (and last)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @pytest.hookimpl(trylast=True)
    def pytest_devsecops_register_scanners(
        self, config: pytest.Config, registry: ScannerRegistry
    ) -> None:
        from .scanners.bandit import BanditScanner
        from .scanners.dependencies.scanner import PipAuditScanner

        settings = self.settings
        registry.add(
            BanditScanner(
                honour_nosec=settings.bandit_honour_nosec, config_file=settings.bandit_config
            )
        )
        registry.add(
            PipAuditScanner(
                requirements=settings.requirements,
                osv_db=settings.osv_db,
                service=settings.audit_service,
                osv_url=settings.osv_url,
                timeout=settings.audit_timeout,
                default_severity=settings.audit_default_severity,
                skip=settings.audit_skip,
                max_age_days=settings.osv_max_age_days,
            )
        )
        from .scanners.secrets.scanner import SecretsScanner

        named = settings.scanners is not None and "secrets" in settings.scanners
        registry.add(
            SecretsScanner(
                engine=settings.secrets_engine,
                trivy=settings.trivy,
                history_ref=settings.secrets_history,
                # Asked for by name, an engine or a trivy path: a missing trivy is an error.
                trivy_required=named or settings.secrets_engine_set or bool(settings.trivy),
            )
        )
        if settings.image.images or "image" in (settings.scanners or ()):
            from .scanners.image.scanner import ImageScanner

            registry.add(ImageScanner(settings.image))
        if settings.import_patterns:
            from .scanners.sarif_import import SarifImportScanner

            registry.add(SarifImportScanner(settings.import_patterns))
        if settings.dast_target.configured:
            from .scanners.dast import DastScanner

            registry.add(
                DastScanner(
                    settings.dast_target,
                    settings.dast_options,
                    settings.dast_min_pages,
                    choice=settings.dast_engine,
                    config_file=settings.config_file,
                    levels=settings.zap_rules,
                    progress=terminal_progress(config),
                )
            )


class XdistLateFindings:
    """Collects the late findings (test traffic, in-test scans) of every xdist worker."""

    def pytest_testnodedown(self, node: object, error: object) -> None:
        output = getattr(node, "workeroutput", {}).get(LATE_OUTPUT_KEY)
        config = getattr(node, "config", None)
        if output and config is not None:
            late_findings(config).merge_worker_output(output)


class XdistController:
    """Hands the controller's scan to each xdist worker, so nothing is scanned twice."""

    def __init__(self, run: SecurityRun) -> None:
        self.run = run

    def pytest_configure_node(self, node: object) -> None:
        workerinput = getattr(node, "workerinput")  # noqa: B009 - set by xdist on WorkerController
        workerinput[WORKER_INPUT_KEY] = str(Path(self.run.results_path))
