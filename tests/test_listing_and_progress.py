"""Listing runs scan nothing; progress shows before and during scans; off costs no imports."""

from __future__ import annotations

import datetime
import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_devsecops import listing, runner
from pytest_devsecops.core.finding import ScanResult

REFUSING_SCANNER = """
from pytest_devsecops.core.finding import ScanResult

class Refusing:
    name = "refusing"
    def scan(self, context):
        raise AssertionError("a listing run ran a scanner")

def pytest_devsecops_register_scanners(config, registry):
    registry.add(Refusing())
"""


@pytest.fixture
def counting_target() -> Iterator[tuple[str, list[str]]]:
    """A loopback web server that records every request it gets."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body><a href='/a?q=1'>a</a></body></html>")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "listing",
    [
        ["--co", "-q"],
        ["--collect-only", "-v"],
        ["--fixtures"],
        ["--markers"],
        ["--setup-plan"],
        ["--help"],
    ],
)
def test_listing_sends_no_request_and_runs_no_scanner(
    pytester: pytest.Pytester, counting_target: tuple[str, list[str]], listing: list[str]
) -> None:
    url, seen = counting_target
    pytester.makeconftest(REFUSING_SCANNER)
    pytester.makepyprojecttoml(
        f"""
        [tool.pytest.ini_options]
        devsecops_scanners = ["dast", "refusing"]
        devsecops_target = "{url}"
        devsecops_dast_active = true
        """
    )
    result = pytester.runpytest("--devsecops", "-p", "no:cacheprovider", *listing)
    assert result.ret == pytest.ExitCode.OK
    assert seen == []
    result.stdout.no_fnmatch_line("*a listing run ran a scanner*")
    if listing[0] in ("--co", "--collect-only"):
        result.stdout.fnmatch_lines(
            ["*devsecops/dast*", "*status*", "dast: not run under --collect-only"]
        )


def test_collect_only_shows_the_last_results_marked_cached(project: pytest.Pytester) -> None:
    project.runpytest("--devsecops").assert_outcomes(passed=2, failed=2, xfailed=1)
    project.makeconftest(REFUSING_SCANNER)  # would raise if anything scanned now
    result = project.runpytest("--devsecops", "--co", "-q", "-k", "cached")
    result.stdout.fnmatch_lines(
        [
            "devsecops/bandit::B404[[]app/run.py:2[]]",
            "devsecops/bandit::B602[[]app/run.py:6[]]",
            "devsecops/bandit::status",
            "bandit: cached: results of the last run (*); not run under --collect-only",
        ]
    )
    result.stdout.no_fnmatch_line("test_ordinary.py*")


def test_header_prints_before_the_scan_with_a_line_per_scanner(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops")
    result.stdout.fnmatch_lines(
        [
            "devsecops: scanners=bandit *",
            "rootdir: *",
            "devsecops: bandit started",
            # "complete", or "checking the tool itself" while its canary still runs
            "devsecops: bandit done: bandit *: 2 files scanned in *s, *; 3 findings",
            "collected 5 items",
        ]
    )
    quiet = project.runpytest("--devsecops", "-q")
    quiet.stdout.no_fnmatch_line("devsecops: bandit*")


def test_scanner_time_is_charged_to_its_status_item(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import time
        from pytest_devsecops.core.finding import Coverage, ScanResult

        class Slow:
            name = "slow"
            def scan(self, context):
                time.sleep(0.3)
                return ScanResult("slow", "slow", "1", coverage=Coverage(scanned=("x",)))

        def pytest_devsecops_register_scanners(config, registry):
            registry.add(Slow())
        """
    )
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ndevsecops_scanners = ["slow"]\n')
    records = pytester.inline_run("--devsecops", "-p", "no:cacheprovider")
    (call,) = [r for r in records.getreports("pytest_runtest_logreport") if r.when == "call"]
    assert call.nodeid == "devsecops/slow::status"
    assert call.duration >= 0.3


HEAVY = ("requests", "bandit", "pip_audit", "yaml", "zapv2", "cyclonedx", "cvss", "urllib3")
LIGHT_OURS = {
    "pytest_devsecops",
    "pytest_devsecops.plugin",
    "pytest_devsecops.options",
    "pytest_devsecops.hookspecs",
    "pytest_devsecops.late_state",  # the end-of-session hooks look for late findings
    "pytest_devsecops.fixtures",
}


def _record_modules(pytester: pytest.Pytester) -> None:
    """A plain suite whose conftest writes the imported module names to modules.json."""
    pytester.makeconftest(
        """
        import json, sys

        def pytest_sessionfinish(session):
            with open("modules.json", "w") as out:
                json.dump(sorted(sys.modules), out)
        """
    )
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")


def test_installed_but_off_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    _record_modules(pytester)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    modules = set(json.loads((pytester.path / "modules.json").read_text()))
    assert "pytest_devsecops.plugin" in modules  # the plugin was loaded, just not switched on
    ours = {name for name in modules if name.startswith("pytest_devsecops")}
    assert ours <= LIGHT_OURS, sorted(ours - LIGHT_OURS)
    heavy = sorted(name for name in modules if name.split(".")[0] in HEAVY)
    assert heavy == []


def test_a_corrupt_last_run_cache_lists_status_items(project: pytest.Pytester) -> None:
    project.runpytest("--devsecops")
    cached = project.path / ".pytest_cache" / "d" / "devsecops" / "last-run.json"
    assert cached.is_file()
    cached.write_text('{"format": 1, "results": [{"broken": ')
    result = project.runpytest("--devsecops", "--co", "-q")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["devsecops/bandit::status", "bandit: not run under --collect-only"]
    )


def test_a_run_imports_only_the_scanners_it_uses(pytester: pytest.Pytester) -> None:
    # Every built-in scanner is registered, but as a stand-in: a bandit-only run must not pay
    # for the DAST engine, requests, the secrets or image scanners, or reporters nobody asked for.
    _record_modules(pytester)
    (pytester.path / "app.py").write_text("print(eval(input()))\n")
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\ndevsecops_scanners = ["bandit"]\ndevsecops_paths = ["app.py"]\n'
    )
    result = pytester.runpytest_subprocess("--devsecops", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    modules = set(json.loads((pytester.path / "modules.json").read_text()))
    assert "pytest_devsecops.scanners.bandit" in modules
    unused = sorted(
        name
        for name in modules
        if name.startswith(
            (
                "pytest_devsecops.dast.engine",
                "pytest_devsecops.dast.http",
                "pytest_devsecops.dast.zap.client",
                "pytest_devsecops.scanners.secrets",
                "pytest_devsecops.scanners.image.scanner",
                "pytest_devsecops.scanners.dependencies",
                "pytest_devsecops.scanners.iac",
                "pytest_devsecops.reporters.html",
                "pytest_devsecops.reporters.sarif",
                "pytest_devsecops.reporters.cyclonedx",
                "requests",
                "urllib3",
                "pip_audit",
            )
        )
    )
    assert unused == []


class _Cache:
    """pytest's `Cache.mkdir` contract, on a temporary folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def mkdir(self, name: str) -> Path:
        path = self.root / "d" / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def _data(scanner: str) -> dict[str, object]:
    scan = runner.SessionScan((ScanResult(scanner, scanner, "1.0"),), datetime.date(2026, 1, 2))
    return runner.to_data(scan)


def test_the_last_run_keeps_other_scanners_and_is_written_compactly(tmp_path: Path) -> None:
    cache = _Cache(tmp_path)
    listing.remember(cache, _data("bandit"))
    listing.remember(cache, _data("secrets"))  # a run of one scanner keeps the other's result
    last = listing.last_scan(cache)
    assert last is not None
    assert [result.scanner for result in last.results] == ["bandit", "secrets"]
    written = (tmp_path / "d" / "devsecops" / listing.LAST_RUN_FILE).read_text()
    assert "\n" not in written  # one line: the C encoder's compact form
    assert ": " not in written
    assert [p.name for p in (tmp_path / "d" / "devsecops").iterdir()] == [listing.LAST_RUN_FILE]


def test_the_last_run_is_not_read_or_written_through_a_planted_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / listing.LAST_RUN_FILE).write_text(json.dumps(_data("bandit")))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "devsecops").symlink_to(elsewhere)
    cache = _Cache(tmp_path)
    assert listing.last_scan(cache) is None
    listing.remember(cache, _data("secrets"))
    assert [p.name for p in elsewhere.iterdir()] == [listing.LAST_RUN_FILE]
    assert "secrets" not in (elsewhere / listing.LAST_RUN_FILE).read_text()


@pytest.mark.parametrize("planted", ["link to a device", "fifo"])
def test_a_planted_last_run_file_is_not_read(tmp_path: Path, planted: str) -> None:
    folder = tmp_path / "d" / "devsecops"
    folder.mkdir(parents=True)
    if planted == "fifo":
        os.mkfifo(folder / listing.LAST_RUN_FILE)  # an open() of it would block forever
    else:
        (folder / listing.LAST_RUN_FILE).symlink_to("/dev/zero")  # endless bytes
    assert listing.last_scan(_Cache(tmp_path)) is None
