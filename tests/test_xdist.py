"""Under pytest-xdist the scan runs once, on the controller, and outcomes match a serial run."""

from __future__ import annotations

import pytest

pytest.importorskip("xdist")

COUNTING_SCANNER = """
import os
from pytest_devsecops.core.finding import Finding, Location, ScanResult, Coverage
from pytest_devsecops.core.severity import Severity

class Counting:
    name = "counting"
    def scan(self, context):
        with open(os.path.join(str(context.root), "scans.log"), "a") as log:
            log.write(f"{os.getpid()} {os.environ.get('PYTEST_XDIST_WORKER', 'controller')}\\n")
        finding = Finding(scanner="counting", rule="C1", title="counted", severity=Severity.HIGH,
                          location=Location(path="app/run.py", line=1), identity="x")
        return ScanResult("counting", "counting", "1", findings=(finding,),
                          coverage=Coverage(requested=("app",), scanned=("app/run.py",)))

def pytest_devsecops_register_scanners(config, registry):
    registry.add(Counting())
"""


def test_outcomes_match_a_serial_run_and_the_scan_runs_once(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # When this suite itself runs under xdist, the inner run must not inherit our worker id.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    project.makeconftest(COUNTING_SCANNER)
    args = ("--devsecops", "-o", "devsecops_scanners=bandit counting", "-p", "no:randomly")
    serial = project.runpytest_subprocess(*args)
    (project.path / "scans.log").unlink()
    parallel = project.runpytest_subprocess(*args, "-n", "2")
    assert parallel.parseoutcomes() == serial.parseoutcomes()
    parallel.assert_outcomes(passed=3, failed=3, xfailed=1)
    scans = (project.path / "scans.log").read_text().splitlines()
    assert len(scans) == 1
    assert scans[0].endswith("controller")


def test_baseline_updates_happen_on_the_controller(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--devsecops", "--devsecops-update-baseline", "-n", "2")
    result.assert_outcomes(passed=2, xfailed=3)
    text = (project.path / ".devsecops-baseline.yml").read_text()
    assert text.count("- fingerprint:") == 3
    assert not list(project.path.glob(".*.tmp"))
