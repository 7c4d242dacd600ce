"""iac and actions end to end: node ids, skips for missing tools, baseline, reports, xdist."""

from __future__ import annotations

import json

import pytest
from infra_trees import BAD_WORKFLOW, HARDENED_DOCKERFILE, ROOT_DOCKERFILE, TERRAFORM, write

from pytest_devsecops.scanners.tools import find_tool

pytestmark = pytest.mark.skipif(
    not (find_tool("trivy").found and find_tool("zizmor").found), reason="needs trivy and zizmor"
)

PYPROJECT = """
[tool.pytest.ini_options]
devsecops_scanners = ["iac", "actions"]
devsecops_fail_on = "high"
"""


@pytest.fixture
def infra(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyprojecttoml(PYPROJECT)
    write(
        pytester.path,
        {
            "infra/Dockerfile": ROOT_DOCKERFILE,
            "hardened/Dockerfile": HARDENED_DOCKERFILE,
            "infra/main.tf": TERRAFORM,
            ".github/workflows/pr.yml": BAD_WORKFLOW,
        },
    )
    return pytester


def test_items_reports_and_the_baseline(infra: pytest.Pytester) -> None:
    result = infra.runpytest(
        "--devsecops",
        "--devsecops-sarif=r.sarif",
        "--devsecops-json=r.json",
        "--junitxml=j.xml",
        "-p",
        "no:randomly",
        "-rf",
    )
    result.stdout.fnmatch_lines_random(
        [
            "FAILED devsecops/iac::DS-0002[[]infra/Dockerfile[]]*",
            "FAILED devsecops/iac::AWS-0107[[]infra/main.tf:aws_security_group.ssh[]]*",
            "FAILED devsecops/actions::template-injection[[].github/workflows/pr.yml:11[]]*",
            "trivy * (embedded checks): 3 configuration files scanned*, complete; *",
            "zizmor *: 1 workflow file scanned*, complete; *",
        ]
    )
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 2  # the two status items
    text = result.stdout.str()
    assert "hardened/Dockerfile" not in text.replace("hardened/Dockerfile scanned", "")
    # The failure says what, where, and what to do, with the check's documentation.
    result.stdout.fnmatch_lines(
        [
            "DS-0002 Image user should not be 'root'",
            "  severity: high",
            "  at infra/Dockerfile*",
            "  message: Specify at least 1 USER command*",
            "  what to do: *",
            "  more: https://avd.aquasec.com/misconfig/ds-0002",
        ]
    )
    sarif = json.loads((infra.path / "r.sarif").read_text())
    uris = {
        location["physicalLocation"]["artifactLocation"]["uri"]
        for run in sarif["runs"]
        for item in run["results"]
        for location in item.get("locations", [])
    }
    assert {"infra/Dockerfile", "infra/main.tf", ".github/workflows/pr.yml"} <= uris
    report = json.loads((infra.path / "r.json").read_text())
    assert {"iac", "actions"} <= {scan["name"] for scan in report["scanners"]}
    assert 'name="DS-0002[infra/Dockerfile]"' in (infra.path / "j.xml").read_text()
    # Accept everything: the next run is green, every finding an xfail with its entry.
    infra.runpytest("--devsecops", "--devsecops-update-baseline")
    again = infra.runpytest("--devsecops", "-p", "no:randomly")
    again.assert_outcomes(passed=2, xfailed=outcomes["failed"] + outcomes.get("xfailed", 0))


def test_an_unparseable_file_fails_the_iac_status(infra: pytest.Pytester) -> None:
    (infra.path / "infra/broken.tf").write_text('resource "x" "y" {\n  a = \n')
    result = infra.runpytest("--devsecops", "-k", "status")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*1 configuration file could not be scanned*", "  infra/broken.tf: trivy could not parse*"]
    )


def test_a_missing_tool_fails_when_named_and_is_skipped_on_the_default_set(
    infra: pytest.Pytester,
) -> None:
    named = infra.runpytest("--devsecops", "-o", "devsecops_trivy=no/trivy", "-k", "status")
    named.assert_outcomes(passed=1, failed=1)
    named.stdout.fnmatch_lines(
        ["*the configured trivy * is not a file*", "*pytest-devsecops[[]trivy[]]*"]
    )
    default = infra.runpytest(
        "--devsecops",
        "-o",
        "devsecops_scanners=",
        "-o",
        "devsecops_trivy=no/trivy",
        "-o",
        "devsecops_zizmor=no/zizmor",
        "-k",
        "iac or actions",
        "-rs",
    )
    default.assert_outcomes(skipped=2)
    default.stdout.fnmatch_lines_random(
        [
            "trivy: SKIPPED, the configured trivy * is not a file; to run it: pip install*",
            "zizmor: SKIPPED, *pytest-devsecops[[]actions[]]*",
            "SKIPPED * iac did not run: *",
        ]
    )


def test_under_xdist_the_outcomes_are_the_same(
    infra: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    # zizmor only: the xdist hand-over is the same for every scanner, and trivy is slow to start.
    args = ("--devsecops", "-p", "no:randomly", "-o", "devsecops_scanners=actions")
    serial = infra.runpytest_subprocess(*args)
    parallel = infra.runpytest_subprocess(*args, "-n", "2")
    assert serial.parseoutcomes()["failed"] == 3
    assert parallel.parseoutcomes() == serial.parseoutcomes()


def test_custom_rego_checks_are_iac_items_and_a_broken_one_fails_the_status(
    infra: pytest.Pytester,
) -> None:
    policies = infra.path / "policies"
    write(
        policies,
        {
            "no_latest.rego": NO_LATEST,
        },
    )
    result = infra.runpytest("--devsecops", "-o", "devsecops_rego=policies", "-k", "iac")
    result.stdout.fnmatch_lines_random(
        [
            "FAILED devsecops/iac::ACME-001[[]infra/Dockerfile[]]*",
            "trivy * (embedded checks + 1 Rego file from policies): *",
        ]
    )
    (policies / "broken.rego").write_text(
        "package acme.broken\nimport rego.v1\ndeny contains x if {\n"
    )
    broken = infra.runpytest("--devsecops", "-o", "devsecops_rego=policies", "-k", "iac")
    broken.assert_outcomes(failed=1)
    broken.stdout.fnmatch_lines(
        ["*broken.rego*rego_parse_error*", "next step: fix the Rego check*"]
    )


NO_LATEST = """\
# METADATA
# title: Base image by tag latest
# custom:
#   id: ACME-001
#   avd_id: ACME-001
#   severity: HIGH
#   recommended_action: Pin the base image.
#   input:
#     selector:
#       - type: dockerfile
package acme.no_latest

import rego.v1

deny contains res if {
	some stage in input.Stages
	some instruction in stage.Commands
	instruction.Cmd == "from"
	endswith(instruction.Value[0], ":latest")
	res := result.new("latest tag", instruction)
}
"""
