"""SARIF that GitHub code scanning accepts and tracks: every result located, alerts distinct."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from test_reports import sarif_schema

from pytest_devsecops.core.baseline import Entry
from pytest_devsecops.core.finding import Coverage, Finding, Location, ScanResult
from pytest_devsecops.core.policy import Decision, Verdict
from pytest_devsecops.core.severity import Severity
from pytest_devsecops.reporters.interface import Report
from pytest_devsecops.reporters.sarif import SarifReporter


def check_for_github(log: dict[str, Any]) -> None:
    """The schema, plus what GitHub needs that the schema does not say."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = sarif_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert [error.message for error in validator.iter_errors(log)] == []
    categories = [run["automationDetails"]["id"] for run in log["runs"]]
    assert len(categories) == len(set(categories))
    for run in log["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            assert 0 < float(rule["properties"]["security-severity"]) <= 10
        for result in run["results"]:
            assert result["message"]["text"]
            (location,) = result["locations"]
            physical = location["physicalLocation"]
            uri = physical["artifactLocation"]["uri"]
            assert uri
            assert "://" not in uri
            assert not uri.startswith("/")
            assert physical["region"]["startLine"] >= 1
            assert result["partialFingerprints"]["primaryLocationLineHash"]


def finding(rule: str, severity: Severity, **where: Any) -> Finding:
    identity = f"{rule}|{where}"
    return Finding(
        "dast" if "url" in where else "pip-audit",
        rule,
        f"title of {rule}",
        severity,
        Location(**where),
        identity,
        fingerprint=f"{abs(hash(identity)):024x}"[:24],
    )


def report(decisions: list[Decision], results: list[ScanResult], **extra: Any) -> Report:
    return Report(
        root=Path("/repo/sub"),
        baseline=".devsecops-baseline.yml",
        fail_on="medium",
        plugin_version="0",
        results=tuple(results),
        decisions=tuple(decisions),
        **extra,
    )


def render(rep: Report, include_all: bool = False) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(SarifReporter(include_all).render(rep))
    check_for_github(log)
    return log


def test_a_finding_without_a_file_is_placed_on_the_config_file_or_the_baseline() -> None:
    env = finding("PYSEC-1", Severity.HIGH)  # an environment audit: no file at all
    result = ScanResult("pip-audit", "pip-audit", "2", (env,))
    decisions = [Decision(Verdict.NEW, "pip-audit", env)]
    bare = render(report(decisions, [result]))
    located = bare["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert located["artifactLocation"]["uri"] == ".devsecops-baseline.yml"
    configured = render(report(decisions, [result], config_file="pytest.ini"))
    located = configured["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert located["artifactLocation"]["uri"] == "pytest.ini"


def test_paths_are_relative_to_the_repository_root() -> None:
    code = finding("PYSEC-2", Severity.HIGH, path="requirements.txt", line=3)
    result = ScanResult("pip-audit", "pip-audit", "2", (code,))
    log = render(
        report([Decision(Verdict.NEW, "pip-audit", code)], [result], repo_root=Path("/repo"))
    )
    (run,) = log["runs"]
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "sub/requirements.txt"
    assert location["region"]["startLine"] == 3
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///repo/"


def test_url_findings_sit_on_the_app_declaration_and_stay_distinct() -> None:
    first = finding("40012", Severity.HIGH, url="http://127.0.0.1:1/a", param="q")
    second = finding("40012", Severity.HIGH, url="http://127.0.0.1:1/b", param="q")
    result = ScanResult("dast", "built-in engine", "", (first, second))
    decisions = [Decision(Verdict.NEW, "dast", f) for f in (first, second)]
    log = render(report(decisions, [result], app_declared_in=("tests/conftest.py", 7)))
    results = log["runs"][0]["results"]
    places = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results
    }
    assert places == {("tests/conftest.py", 7)}
    hashes = {r["partialFingerprints"]["primaryLocationLineHash"] for r in results}
    assert len(hashes) == 2
    assert {r["properties"]["url"] for r in results} == {first.location.url, second.location.url}


def test_only_failing_findings_are_alerts_unless_all_are_asked_for() -> None:
    new = finding("R1", Severity.HIGH, path="a.py", line=1)
    accepted = finding("R2", Severity.HIGH, path="b.py", line=1)
    low = finding("R3", Severity.LOW, path="c.py", line=1)
    entry = Entry(accepted.fingerprint, "pip-audit", "R2", reason="tracked in SEC-1", line=4)
    decisions = [
        Decision(Verdict.NEW, "pip-audit", new),
        Decision(Verdict.ACCEPTED, "pip-audit", accepted, entry),
        Decision(Verdict.BELOW_GATE, "pip-audit", low),
    ]
    result = ScanResult("pip-audit", "pip-audit", "2", (new, accepted, low))
    default = render(report(decisions, [result]))
    assert [r["ruleId"] for r in default["runs"][0]["results"]] == ["R1"]
    full = render(report(decisions, [result]), include_all=True)
    by_rule = {r["ruleId"]: r for r in full["runs"][0]["results"]}
    assert "suppressions" not in by_rule["R1"]
    assert by_rule["R2"]["suppressions"][0]["justification"] == "tracked in SEC-1"
    assert by_rule["R3"]["suppressions"][0]["justification"] == "below the severity gate (medium)"


def test_a_rule_has_the_severity_of_its_worst_finding() -> None:
    mild = finding("R1", Severity.MEDIUM, path="a.py", line=1)
    worst = finding("R1", Severity.CRITICAL, path="b.py", line=2)
    result = ScanResult("pip-audit", "pip-audit", "2", (mild, worst))
    decisions = [Decision(Verdict.NEW, "pip-audit", f) for f in (mild, worst)]
    for order in (decisions, decisions[::-1]):
        (rule,) = render(report(order, [result]))["runs"][0]["tool"]["driver"]["rules"]
        assert rule["properties"]["security-severity"] == Severity.CRITICAL.sarif_score
        assert rule["defaultConfiguration"]["level"] == "error"


def test_a_scanner_without_findings_still_writes_its_run() -> None:
    clean = ScanResult("bandit", "bandit", "1", (), Coverage(scanned=("a.py",)))
    log = render(report([], [clean]))
    (run,) = log["runs"]
    assert run["results"] == []
    assert run["automationDetails"]["id"] == "devsecops/bandit/"


TWO_XSS_APP = textwrap.dedent(
    """
    from urllib.parse import parse_qs

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        q = parse_qs(environ.get("QUERY_STRING", "")).get("q", [""])[0]
        start_response("200 OK", [("Content-Type", "text/html")])
        if path == "/":
            body = "<a href='/a?q=x'>a</a> <a href='/b?q=x'>b</a>"
        else:
            body = "<p>" + q + "</p>"
        return [("<html><body>" + body + "</body></html>").encode()]
    """
)


def test_a_dast_scan_without_a_config_file_has_located_distinct_results(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / ".git").mkdir()  # the repository root, one level above the rootdir
    sub = pytester.mkdir("service")
    (sub / "xssapp.py").write_text(TWO_XSS_APP)
    (sub / "conftest.py").write_text("")  # marks the rootdir; no pytest config file anywhere
    pytester.chdir()
    args = ["--devsecops", "-p", "no:cacheprovider", "--rootdir", str(sub), str(sub)]
    ini = ["-o", "devsecops_scanners=dast", "-o", "devsecops_app=xssapp:app"]
    ini += ["-o", "devsecops_dast_active=true", "-o", "pythonpath=service"]
    pytester.runpytest(*args, *ini, "--devsecops-sarif", "out.sarif")
    log = json.loads((pytester.path / "out.sarif").read_text())
    check_for_github(log)
    results = [r for r in log["runs"][0]["results"] if r["ruleId"] == "40012"]
    assert len(results) == 2  # /a and /b: two alerts, not one merged alert
    assert len({r["partialFingerprints"]["primaryLocationLineHash"] for r in results}) == 2
    for result in log["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == "service/.devsecops-baseline.yml"


def test_dast_results_sit_on_the_conftest_that_provides_the_app(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(xssapp=TWO_XSS_APP)
    pytester.makeconftest(
        """
        import pytest
        from pytest_devsecops.dast.target import TargetConfig, running

        @pytest.fixture(scope="session")
        def devsecops_app():
            with running(TargetConfig(wsgi="xssapp:app")) as base:
                yield base
        """
    )
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        devsecops_scanners = ["dast"]
        devsecops_app = "xssapp:app"
        """
    )
    pytester.runpytest("--devsecops", "-p", "no:cacheprovider", "--devsecops-sarif", "o.sarif")
    log = json.loads((pytester.path / "o.sarif").read_text())
    check_for_github(log)
    places = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in log["runs"][0]["results"]
    }
    assert places == {("conftest.py", 5)}
