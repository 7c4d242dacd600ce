"""Test-traffic findings have their own identity: they can be accepted, and they reach JUnit."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET

import pytest

APP = textwrap.dedent(
    """
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html"), ("Set-Cookie", "sid=1; Path=/")])
        return [b"<html><body><p>hello</p></body></html>"]
    """
)

TESTS = textwrap.dedent(
    """
    def test_home(devsecops_http):
        assert devsecops_http.get("/").status_code == 200
    """
)


@pytest.fixture
def traffic_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(trafficapp=APP, test_functional=TESTS)
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        devsecops_scanners = ["dast"]
        devsecops_app = "trafficapp:app"
        devsecops_fail_on = "low"
        """
    )
    return pytester


def test_accepted_traffic_findings_no_longer_fail(traffic_project: pytest.Pytester) -> None:
    first = traffic_project.runpytest("-p", "no:cacheprovider", "-rf")
    first.stdout.fnmatch_lines(["FAILED devsecops/dast-traffic::*"])
    assert first.ret == pytest.ExitCode.TESTS_FAILED
    traffic_project.runpytest("-p", "no:cacheprovider", "--devsecops-update-baseline")
    baseline = (traffic_project.path / ".devsecops-baseline.yml").read_text()
    assert "scanner: dast-traffic" in baseline
    again = traffic_project.runpytest("-p", "no:cacheprovider", "-rfx")
    again.stdout.no_fnmatch_line("FAILED devsecops/dast-traffic*")
    again.stdout.fnmatch_lines(["XFAIL devsecops/dast-traffic::*"])
    assert again.ret == pytest.ExitCode.OK


def test_traffic_results_carry_junit_properties(traffic_project: pytest.Pytester) -> None:
    traffic_project.runpytest("-p", "no:cacheprovider", "--junitxml=junit.xml")
    tree = ET.parse(traffic_project.path / "junit.xml")  # noqa: S314 - our own output
    cases = [c for c in tree.iter("testcase") if c.get("classname") == "devsecops.dast-traffic"]
    assert cases
    for case in cases:
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert props["devsecops_scanner"] == "dast-traffic"
        assert props["devsecops_rule"]
        assert props["devsecops_severity"]
        assert props["devsecops_fingerprint"]
    suite = next(tree.iter("testsuite"))
    assert int(suite.get("tests", "0")) == len(list(tree.iter("testcase")))


def test_policy_rules_judge_test_traffic_too(traffic_project: pytest.Pytester) -> None:
    # The same rules file as the scan's findings: a team that reports a rule below the gate
    # everywhere must not see it fail when a functional test's traffic raises it.
    first = traffic_project.runpytest("-p", "no:cacheprovider", "-rf")
    first.stdout.fnmatch_lines(["FAILED devsecops/dast-traffic::*"])
    (traffic_project.path / "devsecops.toml").write_text(
        '[[rules]]\nscanner = "dast-traffic"\naction = "report"\n'
    )
    again = traffic_project.runpytest("-p", "no:cacheprovider", "-rfx")
    again.stdout.no_fnmatch_line("FAILED devsecops/dast-traffic*")
    again.stdout.fnmatch_lines(["XFAIL devsecops/dast-traffic::*"])
    assert again.ret == pytest.ExitCode.OK
