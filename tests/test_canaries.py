"""Each scanner's canary: a known flaw its tool must report in every run, never shown to users."""

from __future__ import annotations

import json

import pytest
from infra_trees import BAD_WORKFLOW, ROOT_DOCKERFILE

from pytest_devsecops.scanners import actions_canary, iac_canary
from pytest_devsecops.scanners.secrets import canary as secrets_canary
from pytest_devsecops.scanners.tools import find_tool

pytestmark = pytest.mark.skipif(
    not (find_tool("trivy").found and find_tool("zizmor").found),
    reason="trivy and zizmor are needed",
)
STATUSES = ("secrets", "iac", "actions")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        devsecops_scanners = ["secrets", "iac", "actions"]
        devsecops_secrets_engine = "all"
        """
    )
    pytester.mkdir("app")
    (pytester.path / "app" / "Dockerfile").write_text(ROOT_DOCKERFILE)
    (pytester.path / "app" / "db.ini").write_text("[db]\npassword = Harbor-Lantern-2718\n")
    workflows = pytester.mkdir(".github") / "workflows"
    workflows.mkdir()
    (workflows / "pr.yml").write_text(BAD_WORKFLOW)
    return pytester


def test_canaries_stay_out_of_every_output(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops", "--devsecops-json=report.json", "-rA")
    result.stdout.fnmatch_lines_random([f"PASSED devsecops/{name}::status" for name in STATUSES])
    report = (project.path / "report.json").read_text()
    token = secrets_canary.sample().split("=", 1)[1].strip()
    for text in (result.stdout.str(), report):
        assert "canary" not in text.lower()
        assert token not in text
    rules = {finding["rule"] for finding in json.loads(report)["findings"]}
    # The project's own flaws are reported: the canaries were filtered, not the scans.
    assert {"DS-0002", "template-injection"} <= rules


def test_a_tool_that_misses_its_canary_fails_the_status_naming_it(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secrets_canary, "sample", lambda: "nothing to see here\n")
    monkeypatch.setattr(iac_canary, "SAMPLE", "FROM scratch\nUSER 10001\n")
    monkeypatch.setattr(actions_canary, "SAMPLE", "on: push\njobs: {}\n")
    result = project.runpytest("--devsecops")
    result.stdout.fnmatch_lines_random(
        [f"FAILED devsecops/{name}::status*" for name in STATUSES]
        + [
            "*as configured, trivy did not find its canary: github-pat*",
            "*as configured, our generic detector did not find its canary: generic-secret*",
            "*as configured, detect-secrets did not find its canary: github-pat*",
            "*as configured, trivy did not find its canary: DS-0002*",
            "*as configured, zizmor did not find its canary: template-injection*",
        ]
    )
