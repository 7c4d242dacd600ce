"""DAST as tests: zero-code items, a scan inside a test (subtests), and checked test traffic."""

from __future__ import annotations

import textwrap

import pytest

WEBAPP = textwrap.dedent(
    """
    from html import escape
    from urllib.parse import parse_qs

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        q = parse_qs(environ.get("QUERY_STRING", "")).get("q", [""])[0]
        headers = [("Content-Type", "text/html")]
        if path == "/":
            body = "<a href='/search?q=hat'>search</a> <a href='/safe?q=hat'>safe</a>"
            headers.append(("Set-Cookie", "sid=1; Path=/"))
        elif path == "/search":
            body = "<p>" + q + "</p>"
        elif path == "/safe":
            body = "<p>" + escape(q) + "</p>"
        else:
            start_response("404 Not Found", headers)
            return [b"no"]
        start_response("200 OK", headers)
        return [("<html><body>" + body + "</body></html>").encode()]

    def empty(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b""]
    """
)


@pytest.fixture
def web_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(webapp=WEBAPP)
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        devsecops_scanners = ["dast"]
        devsecops_app = "webapp:app"
        """
    )
    return pytester


def test_zero_code_scan_gives_one_item_per_issue(web_project: pytest.Pytester) -> None:
    result = web_project.runpytest("--devsecops", "-v", "-o", "devsecops_dast_active=true")
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/dast::status PASSED*",
            "devsecops/dast::10038-1[[]site-wide[]] FAILED*",
            "devsecops/dast::10020-1[[]site-wide x-frame-options[]] FAILED*",
            "devsecops/dast::40012[[]GET /search q[]] FAILED*",
            "devsecops/dast::10010[[]site-wide sid[]] XFAIL*",
            "built-in engine: 3 pages scanned*, complete; * findings*",
        ]
    )
    assert "/safe" not in "".join(line for line in result.outlines if "40012" in line)


def test_passive_only_by_default(web_project: pytest.Pytester) -> None:
    result = web_project.runpytest("--devsecops", "-v")
    assert "40012" not in result.stdout.str()
    result.stdout.fnmatch_lines_random(["devsecops/dast::status PASSED*"])


def test_an_empty_app_fails_the_status(web_project: pytest.Pytester) -> None:
    result = web_project.runpytest("--devsecops", "-o", "devsecops_app=webapp:empty", "-rf")
    result.stdout.fnmatch_lines(["*the scan saw 0 in-scope page(s) with content*"])
    result.stdout.fnmatch_lines_random(["FAILED devsecops/dast::status*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_an_app_that_cannot_start_fails_the_status(web_project: pytest.Pytester) -> None:
    result = web_project.runpytest("--devsecops", "-o", "devsecops_app=webapp:nope")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*devsecops_app = 'webapp:nope': AttributeError*"])


def test_a_refused_target_fails_the_status(web_project: pytest.Pytester) -> None:
    result = web_project.runpytest(
        "--devsecops", "-o", "devsecops_app=", "-o", "devsecops_target=http://localhost@10.0.0.5/"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*user information in the URL is refused*"])


IN_TEST_SCAN = """
import pytest

@pytest.mark.dast(active=True, max_duration=30)
def test_the_app(devsecops_dast):
    devsecops_dast.check()
"""


def test_a_scan_in_a_test_reports_subtests_with_the_baseline(web_project: pytest.Pytester) -> None:
    web_project.makepyfile(test_security=IN_TEST_SCAN)
    first = web_project.runpytest("-p", "no:cacheprovider", "-rA", "-v")
    first.stdout.fnmatch_lines_random(
        [
            "SUBFAILED[[]40012[[]GET /search q[]][]] test_security.py::test_the_app*",
            "SUBFAILED[[]10038-1[[]site-wide[]][]] test_security.py::test_the_app*",
            "SUBXFAIL[[]10010[[]site-wide sid[]][]] test_security.py::test_the_app - below fail-on=medium",
            "FAILED test_security.py::test_the_app - contains * failed subtests",
        ]
    )
    # Accept only the XSS finding: it becomes an xfailed subtest, the others still fail.
    update = web_project.runpytest("-p", "no:cacheprovider", "--devsecops-update-baseline")
    update.stdout.fnmatch_lines(["*baseline updated with * finding(s) seen during the tests*"])
    baseline = web_project.path / ".devsecops-baseline.yml"
    header, *entries = baseline.read_text().split("  - fingerprint:")
    keep = next(chunk for chunk in entries if "40012" in chunk)
    baseline.write_text(
        header + "  - fingerprint:" + keep.replace('reason: ""', 'reason: "tracked in SEC-9"')
    )
    quiet = web_project.runpytest("-p", "no:cacheprovider")
    quiet.stdout.fnmatch_lines(
        [
            "pytest-devsecops: DAST scans in tests: * failed, 1 baselined, * below-gate (xfailed subtests: -v*"
        ]
    )
    second = web_project.runpytest("-p", "no:cacheprovider", "-rA", "-v")
    second.stdout.fnmatch_lines_random(
        [
            "SUBXFAIL[[]40012[[]GET /search q[]][]] test_security.py::test_the_app - baselined: tracked in SEC-9",
            "SUBFAILED[[]10038-1[[]site-wide[]][]] test_security.py::test_the_app*",
        ]
    )


TRAFFIC_TESTS = """
def test_home(devsecops_http):
    assert devsecops_http.get("/").status_code == 200

def test_search(devsecops_http):
    assert "hat" in devsecops_http.get("/search", params={"q": "hat"}).text
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_test_traffic_is_checked_passively(
    web_project: pytest.Pytester, workers: list[str]
) -> None:
    web_project.makepyfile(test_functional=TRAFFIC_TESTS)
    result = web_project.runpytest_subprocess("-p", "no:cacheprovider", "-rfx", *workers)
    result.stdout.fnmatch_lines_random(
        [
            "FAILED devsecops/dast-traffic::10038-1[[]site-wide[]]*",
            "FAILED devsecops/dast-traffic::10020-1[[]site-wide x-frame-options[]]*",
            "XFAIL devsecops/dast-traffic::10010[[]site-wide sid[]]*",
        ]
    )
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 2
    assert outcomes["failed"] == 2
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_the_dast_marker_is_known_without_the_plugin_switched_on(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.dast(active=True)
        def test_ok():
            pass
        """
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=1)


def test_traffic_findings_reach_the_report_files(web_project: pytest.Pytester) -> None:
    import json

    web_project.makepyfile(test_functional=TRAFFIC_TESTS)
    web_project.runpytest_subprocess(
        "--devsecops",
        "-p",
        "no:cacheprovider",
        "--devsecops-json",
        "r.json",
        "--devsecops-sarif",
        "r.sarif",
    )
    report = json.loads((web_project.path / "r.json").read_text())
    assert [s["name"] for s in report["scanners"]] == ["dast", "dast-traffic"]
    traffic = [f for f in report["findings"] if f["rule"] == "10038-1"]
    assert len(traffic) == 1  # seen by the zero-code scan and the tests' traffic: one finding
    assert traffic[0]["scanner"] == "dast"
    assert traffic[0]["details"]["also seen in"] == "the test traffic (devsecops_http)"
    runs = json.loads((web_project.path / "r.sarif").read_text())["runs"]
    assert [run["tool"]["driver"]["name"] for run in runs] == ["dast", "dast-traffic"]
