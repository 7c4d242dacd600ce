"""A warm run does not wait for bandit's canary before making items: its status item does."""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_devsecops import runner
from pytest_devsecops.core.finding import Finding, Location, ScanResult
from pytest_devsecops.core.severity import Severity
from pytest_devsecops.scanners import bandit_canary, bandit_run
from pytest_devsecops.scanners.bandit import BanditScanner
from pytest_devsecops.scanners.interface import ScanContext

BROKEN = "bandit failed on its canary sample: a stand-in broke it"


class SlowBrokenCanary(bandit_run.Canary):
    """Stands in for a canary whose bandit is broken, and slow to say so."""

    def _run(self, prefix: Sequence[str], sample: Path, report: Path, deadline: float) -> None:
        time.sleep(0.5)
        self.failure = BROKEN


@pytest.fixture
def warm(project: pytest.Pytester) -> pytest.Pytester:
    """The shared bandit project, its result cache holding every file (one run done)."""
    project.runpytest("--devsecops").assert_outcomes(passed=2, failed=2, xfailed=1)
    return project


def test_a_broken_canary_on_a_warm_run_fails_the_status_item(
    warm: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bandit_run, "Canary", SlowBrokenCanary)
    result = warm.runpytest("--devsecops", "-v")
    # The findings are the cached ones, decided as before; only the status waits and fails.
    result.assert_outcomes(passed=1, failed=3, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "devsecops: bandit done: bandit *: 2 files scanned*, checking the tool itself; "
            "3 findings",
            "*devsecops/bandit::status FAILED*",
            f"*{BROKEN}*",
        ]
    )
    result.stdout.fnmatch_lines(["bandit *: ERROR*"])  # the summary has the verdict too


def test_the_verdict_reaches_the_reports_when_the_status_item_is_deselected(
    warm: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bandit_run, "Canary", SlowBrokenCanary)
    report = warm.path / "report.json"
    result = warm.runpytest("--devsecops", "-k", "not status", f"--devsecops-json={report}")
    result.assert_outcomes(passed=1, failed=2, xfailed=1, deselected=1)
    (scanner,) = json.loads(report.read_text())["scanners"]
    assert scanner["status"] != "complete"
    assert BROKEN in json.dumps(scanner)
    result.stdout.fnmatch_lines(["bandit *: ERROR*"])


def test_a_warm_run_with_a_working_canary_passes_and_keeps_the_listing(
    warm: pytest.Pytester,
) -> None:
    result = warm.runpytest("--devsecops", "-q")
    result.assert_outcomes(passed=2, failed=2, xfailed=1)
    listed = warm.runpytest("--devsecops", "--co", "-q")
    listed.stdout.fnmatch_lines(["bandit: cached: results of the last run*"])


def _finding() -> Finding:
    return Finding(
        scanner="bandit",
        rule="B602",
        title="shell",
        severity=Severity.HIGH,
        location=Location(path="app.py", line=1),
        identity="app.py\x1fcall()",
    )


def test_settling_keeps_the_findings_and_takes_the_verdict() -> None:
    def verdict() -> ScanResult:
        return ScanResult("bandit", "bandit", "1.9", error="the canary failed \x1b[31m")

    finding = _finding()
    provisional = ScanResult("bandit", "bandit", "1.9", (finding,), pending=verdict)
    assert not provisional.complete  # nothing passes on a result still being checked
    scan = runner.SessionScan((provisional,), datetime.date(2026, 1, 2)).settle()
    (settled,) = scan.results
    assert settled.findings == (finding,)
    assert settled.pending is None
    assert settled.error == "the canary failed \\x1b[31m"  # cleaned like any result


def test_a_check_that_raises_becomes_an_error_not_a_pass() -> None:
    def verdict() -> ScanResult:
        raise RuntimeError("the check itself crashed")

    provisional = ScanResult("bandit", "bandit", "1.9", (_finding(),), pending=verdict)
    (settled,) = runner.SessionScan((provisional,), datetime.date(2026, 1, 2)).settle().results
    assert "the check itself crashed" in settled.error
    assert settled.findings == (_finding(),)


def test_an_entry_is_only_called_stale_once_the_canary_has_spoken(
    warm: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    warm.runpytest("--devsecops", "--devsecops-update-baseline")
    run_py = warm.path / "app" / "run.py"
    run_py.write_text(run_py.read_text().replace("hashlib.md5(", "hashlib.sha256("))
    # A working canary: the B324 entry matches nothing any more and its item fails as stale.
    warm.runpytest("--devsecops", "-v").stdout.fnmatch_lines(["*B324*stale* FAILED*"])
    run_py.write_text(run_py.read_text() + "\n")  # changed again: not all from the cache
    monkeypatch.setattr(bandit_run, "Canary", SlowBrokenCanary)
    result = warm.runpytest("--devsecops", "-v")
    # A broken bandit covers nothing: its silence proves nothing, so no entry is stale.
    result.stdout.no_fnmatch_line("*devsecops/bandit::B324*stale*")
    result.stdout.fnmatch_lines(["*devsecops/bandit::status FAILED*"])


def test_a_run_stopped_before_the_status_item_still_records_the_verdict(
    warm: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bandit_run, "Canary", SlowBrokenCanary)
    # No report and no summary asked for, and -x stops at the first failing finding.
    result = warm.runpytest("--devsecops", "-x", "-p", "no:terminal")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    last_run = warm.path / ".pytest_cache" / "d" / "devsecops" / "last-run.json"
    (kept,) = json.loads(last_run.read_text())["results"]
    assert kept["error"] == BROKEN  # what --collect-only shows next is the verdict


def test_the_verdict_is_computed_once_whoever_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app.py").write_text("eval(input())\n")
    context = ScanContext(
        root=tmp_path,
        paths=(tmp_path / "app.py",),
        excludes=(),
        timeout=60,
        workdir=tmp_path / "work",
        cache_dir=tmp_path / "cache",
    )
    (tmp_path / "work").mkdir()
    first = BanditScanner().scan(context)  # fills the result cache, once its canary passed
    assert (first.pending() if first.pending else first).complete
    monkeypatch.setattr(bandit_run, "Canary", SlowBrokenCanary)
    provisional = BanditScanner().scan(context)
    assert provisional.pending is not None
    check = provisional.pending
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _n: check(), range(2))
    assert first.error == second.error == check().error == BROKEN


def test_a_canary_report_that_breaks_its_reading_is_a_failure_said_so(tmp_path: Path) -> None:
    # Reading the report runs in the canary's own thread: an exception there must reach the
    # status item as the canary's failure, not the thread's stderr (leaving no rule "found").
    sample = tmp_path / bandit_canary.CANARY_NAME
    sample.write_text("x = 1\n")
    fake_bandit = (
        "import json, sys; out = sys.argv[sys.argv.index('--output') + 1];"
        "json.dump({'results': [{'filename': sys.argv[-1]}], 'errors': [], 'metrics': {}},"
        " open(out, 'w'))"
    )
    canary = bandit_run.Canary([sys.executable, "-c", fake_bandit], sample, tmp_path, 30)
    canary.wait()
    assert canary.failure.startswith("bandit failed on its canary sample: KeyError(")
