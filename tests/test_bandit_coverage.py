"""Fail closed: files bandit could not read, hostile names, crashes and timeouts."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from pytest_devsecops.scanners import process
from pytest_devsecops.scanners.bandit import _failure


def test_unparseable_files_fail_the_status_and_are_named(project: pytest.Pytester) -> None:
    (project.path / "app" / "broken.py").write_text("def (:\n")
    (project.path / "app" / "latin1.py").write_bytes(b'name = "caf\xe9"\n')
    result = project.runpytest("--devsecops", "-rf")
    result.assert_outcomes(passed=1, failed=3, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ [[]bandit[]] bandit 1.*: 2 files scanned*, 2 NOT scanned _*",
            "2 files could not be scanned (2 were):",
            "  app/broken.py: syntax error while parsing AST from file",
            "  app/latin1.py: syntax error while parsing AST from file",
            "next step: fix or exclude those files*",
        ]
    )


def test_a_missing_path_is_a_coverage_gap(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops", "-o", "devsecops_paths=app missing")
    result.assert_outcomes(passed=1, failed=3, xfailed=1)
    result.stdout.fnmatch_lines(["  missing: does not exist"])


def test_nothing_to_scan_is_not_a_clean_result(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        "[tool.pytest.ini_options]\ndevsecops_paths = ['empty']\ndevsecops_scanners = ['bandit']\n"
    )
    (pytester.path / "empty").mkdir()
    result = pytester.runpytest("--devsecops", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*bandit found no Python files to scan*"])


def test_hostile_file_names_change_nothing(project: pytest.Pytester) -> None:
    clean = project.runpytest("--devsecops").parseoutcomes()
    app = project.path / "app"
    (app / "--exit-zero").write_text("import os\n")
    (app / "-o").mkdir()
    (app / "-o" / "x.py").write_text("X = 1\n")
    (app / "$(touch PWNED).py").write_text("Y = 2\n")
    assert project.runpytest("--devsecops").parseoutcomes() == clean
    assert not (project.path / "PWNED").exists()


def test_a_python_script_without_extension_is_scanned(project: pytest.Pytester) -> None:
    script = project.path / "app" / "deploy"
    script.write_text("#!/usr/bin/env python3\nimport os\nos.system(input())\n")
    result = project.runpytest("--devsecops", "-v")
    result.stdout.fnmatch_lines(["devsecops/bandit::B605[[]app/deploy:3[]] FAILED*"])


def test_a_scanner_that_raises_fails_its_status_and_the_rest_runs(project: pytest.Pytester) -> None:
    project.makeconftest(
        """
        import pytest

        class Broken:
            name = "broken"
            def scan(self, context):
                raise RuntimeError("boom")

        def pytest_devsecops_register_scanners(config, registry):
            registry.add(Broken())
        """
    )
    result = project.runpytest("--devsecops", "-o", "devsecops_scanners=bandit broken")
    result.assert_outcomes(passed=2, failed=3, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "broken could not complete its scan: the scanner raised RuntimeError('boom')",
            "next step: this is a bug in the scanner plugin*",
            "broken: ERROR*; 0 findings",
        ]
    )


def outcome(
    returncode: int | None = 1, stderr: str = "", **kwargs: object
) -> process.ProcessOutcome:
    return process.ProcessOutcome(("python", "-m", "bandit"), returncode, "", stderr, **kwargs)  # type: ignore[arg-type]


def good_report(path: Path) -> Path:
    path.write_text(json.dumps({"results": [], "errors": [], "metrics": {"_totals": {}}}))
    return path


@pytest.mark.parametrize(
    ("result", "report", "message"),
    [
        (outcome(start_error="No such file"), None, "could not start bandit"),
        (outcome(None, timed_out=True), None, "timed out after 5s"),
        (outcome(2, "Traceback...\nValueError: x"), "good", "exited with status 2"),
        (outcome(1, "crash"), None, "wrote no report"),
        (outcome(0), "", "not valid JSON"),
        (outcome(0), '{"results": [', "not valid JSON"),
        (outcome(0), '{"results": {}}', "expected results/errors/metrics"),
        (outcome(0), 'Banner\n{"results": []}', "not valid JSON"),
    ],
)
def test_untrustworthy_bandit_runs_are_errors(
    tmp_path: Path, result: process.ProcessOutcome, report: str | None, message: str
) -> None:
    path = tmp_path / "bandit.json"
    if report == "good":
        good_report(path)
    elif report is not None:
        path.write_text(report)
    assert message in _failure(result, path, 5)


def test_a_clean_run_is_trusted(tmp_path: Path) -> None:
    assert _failure(outcome(0), good_report(tmp_path / "bandit.json"), 5) == ""


def test_a_hung_tool_is_killed_with_its_children(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time;"
        f"c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        f"open({str(pidfile)!r}, 'w').write(str(c.pid)); time.sleep(60)"
    )
    started = time.monotonic()
    result = process.run([sys.executable, "-c", code], timeout=2)
    assert result.timed_out
    assert time.monotonic() - started < 10
    child = int(pidfile.read_text())
    time.sleep(0.2)
    assert (
        not Path(f"/proc/{child}").exists()
        or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]
    )


def test_the_child_gets_no_secrets_from_our_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    result = process.run([sys.executable, "-c", "import os; print(sorted(os.environ))"], timeout=30)
    assert "AWS_SECRET_ACCESS_KEY" not in result.stdout
    assert "HTTPS_PROXY" not in result.stdout


CANARY_RULES = ["B101", "B102", "B105", "B307", "B324", "B506", "B602", "B608"]


def test_a_config_that_finds_nothing_is_not_a_clean_scan(project: pytest.Pytester) -> None:
    """A PR that skips every rule makes bandit blind; its own canary sample proves it."""
    pyproject = project.path / "pyproject.toml"
    skips = ", ".join(f'"{rule}"' for rule in [*CANARY_RULES, "B404"])
    pyproject.write_text(pyproject.read_text() + f"\n[tool.bandit]\nskips = [{skips}]\n")
    result = project.runpytest("--devsecops")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*bandit reported none of the findings in its canary sample*"])


def test_the_canary_never_shows_up_as_a_finding(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops", "--devsecops-json", "r.json")
    result.assert_outcomes(passed=2, failed=2, xfailed=1)
    assert "devsecops_canary_sample" not in result.stdout.str()
    report = (project.path / "r.json").read_text()
    assert "devsecops_canary_sample" not in report
