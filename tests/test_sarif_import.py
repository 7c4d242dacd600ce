"""SARIF import: other tools' results become items the baseline, gate and reports apply to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_devsecops.core.severity import Severity
from pytest_devsecops.scanners.sarif_findings import score_severity
from pytest_devsecops.scanners.sarif_validate import InvalidSarif, validate

INI = """
[tool.pytest.ini_options]
devsecops_scanners = ["sarif"]
devsecops_import = ["reports/*.sarif"]
devsecops_fail_on = "low"
"""


def _result(rule: str, uri: str, line: int, **extra: Any) -> dict[str, Any]:
    return {
        "ruleId": rule,
        "message": {"text": extra.pop("text", f"{rule} found")},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": line, "snippet": {"text": f"code of {rule}"}},
                }
            }
        ],
        **extra,
    }


def semgrep_log(*results: dict[str, Any]) -> dict[str, Any]:
    rules = [
        {
            "id": "python.lang.security.audit.subprocess-shell-true",
            "shortDescription": {"text": "shell=True"},
            "help": {"text": "Pass an argument list instead."},
            "helpUri": "https://semgrep.dev/r/python.lang.security.audit.subprocess-shell-true",
            "properties": {"security-severity": "9.1", "tags": ["CWE-78: OS Command Injection"]},
        },
        {"id": "md5", "defaultConfiguration": {"level": "note"}},
    ]
    default = (
        _result("python.lang.security.audit.subprocess-shell-true", "app/run.py", 6),
        _result("md5", "app/run.py", 10),
        _result("weak-token", "app/tokens.py", 3, level="error"),
    )
    return {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "Semgrep OSS", "version": "1.90.0", "rules": rules}},
                "results": list(results or default),
            }
        ],
    }


def _write(pytester: pytest.Pytester, name: str, log: object) -> Path:
    path = pytester.path / "reports" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(log) if not isinstance(log, str) else log)
    return path


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyprojecttoml(INI)
    return pytester


def test_three_results_become_three_items_with_mapped_severities(project: pytest.Pytester) -> None:
    _write(project, "semgrep.sarif", semgrep_log())
    result = project.runpytest("--devsecops", "-rA")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines_random(
        [
            "PASSED devsecops/sarif::status",
            "FAILED devsecops/sarif::Semgrep-OSS/python.lang.security.audit.subprocess-shell-true"
            "[[]app/run.py:6[]]*",
            "FAILED devsecops/sarif::Semgrep-OSS/md5[[]app/run.py:10[]]*",
            "FAILED devsecops/sarif::Semgrep-OSS/weak-token[[]app/tokens.py:3[]]*",
        ]
    )
    report = project.path / "r.json"
    project.runpytest("--devsecops", f"--devsecops-json={report}")
    findings = {f["rule"]: f for f in json.loads(report.read_text())["findings"]}
    shell = findings["Semgrep-OSS/python.lang.security.audit.subprocess-shell-true"]
    assert shell["severity"] == "critical"
    assert shell["cwe"] == 78
    assert shell["details"]["severity from"] == "rule security-severity 9.1"
    assert findings["Semgrep-OSS/md5"]["severity"] == "low"
    assert findings["Semgrep-OSS/weak-token"]["severity"] == "high"


def test_the_baseline_accepts_imported_results_across_a_line_move(project: pytest.Pytester) -> None:
    _write(project, "semgrep.sarif", semgrep_log())
    project.runpytest("--devsecops", "--devsecops-update-baseline").assert_outcomes(
        passed=1, xfailed=3
    )
    baseline = (project.path / ".devsecops-baseline.yml").read_text()
    assert baseline.count("scanner: sarif") == 3
    moved = semgrep_log(
        _result("python.lang.security.audit.subprocess-shell-true", "app/run.py", 60),
        _result("md5", "app/run.py", 100),
        _result("weak-token", "app/tokens.py", 30, level="error"),
    )
    _write(project, "semgrep.sarif", moved)
    project.runpytest("--devsecops").assert_outcomes(passed=1, xfailed=3)


def test_partial_fingerprints_are_the_identity(project: pytest.Pytester) -> None:
    first = _result(
        "md5", "app/run.py", 10, partialFingerprints={"primaryLocationLineHash": "ab:1"}
    )
    _write(project, "codeql.sarif", semgrep_log(first))
    project.runpytest("--devsecops", "--devsecops-update-baseline").assert_outcomes(
        passed=1, xfailed=1
    )
    # Same file, same code, but the tool says it is another finding: it is new.
    other = _result(
        "md5", "app/run.py", 10, partialFingerprints={"primaryLocationLineHash": "cd:1"}
    )
    _write(project, "codeql.sarif", semgrep_log(other))
    result = project.runpytest("--devsecops")
    result.assert_outcomes(passed=1, failed=2)  # the new finding, and the stale entry


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json", "not JSON"),
        ({"version": "2.0.0", "runs": []}, 'version: must be "2.1.0"'),
        ({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}, "runs[0].tool.driver.name"),
        (
            {
                "version": "2.1.0",
                "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r"}]}],
            },
            "runs[0].results[0].message: must be an object",
        ),
    ],
)
def test_a_malformed_file_fails_the_status_naming_it(
    project: pytest.Pytester, content: object, why: str
) -> None:
    _write(project, "good.sarif", semgrep_log())
    _write(project, "broken.sarif", content)
    result = project.runpytest("--devsecops")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(["*reports/broken.sarif*not valid SARIF 2.1.0*"])
    assert why in result.stdout.str()


@pytest.mark.parametrize(
    "uri", ["../outside.py", "file:///etc/passwd", "https://example.com/app.py", "/etc/passwd"]
)
def test_results_outside_the_repository_fail_the_status(project: pytest.Pytester, uri: str) -> None:
    _write(project, "bounty.sarif", semgrep_log(_result("xss", uri, 1), _result("md5", "a.py", 1)))
    result = project.runpytest("--devsecops")
    result.assert_outcomes(failed=2)  # the status and the one result inside the repository
    result.stdout.fnmatch_lines(["*reports/bounty.sarif*1 results point outside the repository*"])


def test_a_glob_matching_nothing_fails_the_status(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*reports/[*].sarif*matches no file*"])


def test_our_own_sarif_export_imports_back(pytester: pytest.Pytester) -> None:
    """Real bandit findings, exported as SARIF by one run, come back as the same findings."""
    app = pytester.mkpydir("app")
    (app / "run.py").write_text(
        "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    )
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\ndevsecops_paths = ["app"]\ndevsecops_import = ["out.sarif"]\n'
    )
    pytester.runpytest("--devsecops", "--devsecops-scanners=bandit", "--devsecops-sarif=out.sarif")
    result = pytester.runpytest("--devsecops", "--devsecops-scanners=sarif", "-rA")
    result.stdout.fnmatch_lines_random(
        ["PASSED devsecops/sarif::status", "FAILED devsecops/sarif::bandit/B602[[]app/run.py:5[]]*"]
    )


def test_unconfigured_import_adds_no_scanner(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ndevsecops_scanners = ["sarif"]\n')
    result = pytester.runpytest("--devsecops")
    assert "unknown scanner 'sarif'" in result.stderr.str()


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        (10.0, Severity.CRITICAL),
        (9.0, Severity.CRITICAL),
        (8.9, Severity.HIGH),
        (7.0, Severity.HIGH),
        (4.0, Severity.MEDIUM),
        (3.9, Severity.LOW),
        (0.0, Severity.INFO),
    ],
)
def test_security_severity_bands(score: float, severity: Severity) -> None:
    assert score_severity(score) is severity


def test_validation_names_where_the_problem_is() -> None:
    log = semgrep_log()
    log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    with pytest.raises(InvalidSarif, match=r"results\[1\].*startLine: must be an integer >= 1"):
        validate(log)
    validate(semgrep_log())
