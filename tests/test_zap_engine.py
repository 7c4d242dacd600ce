"""The ZAP engine against the ZAP API stand-in (tests/standins/zap_api.py): happy path,
paging, switching engines, the rules file, the launcher, and every failure answer."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from standins import zap_api

from pytest_devsecops.dast.app import serve_wsgi
from pytest_devsecops.dast.interface import DastOptions
from pytest_devsecops.dast.scope import resolve_scope
from pytest_devsecops.dast.zap.client import ZapClient, ZapError
from pytest_devsecops.dast.zap.engine import ZapEngine

KEY = "k-0123456789abcdef"
DAEMON = Path(__file__).parent / "standins" / "zap_daemon.py"
WEBAPP = textwrap.dedent(
    """
    def app(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        headers = [("Content-Type", "text/html")]
        if path == "/":
            headers.append(("Set-Cookie", "sid=1; Path=/"))
            body = "<a href='/search?q=hat'>s</a> <a href='/about'>a</a>"
        elif path == "/search":
            from urllib.parse import parse_qs
            body = "<p>" + parse_qs(environ.get("QUERY_STRING", "")).get("q", [""])[0] + "</p>"
        else:
            body = "<p>about us</p>"
        start_response("200 OK", headers)
        return [("<html><body>" + body + "</body></html>").encode()]
    """
)


@pytest.fixture
def zap_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("ZAP_API_KEY", KEY)
    pytester.makepyfile(webapp=WEBAPP)
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        devsecops_scanners = ["dast"]
        devsecops_app = "webapp:app"
        devsecops_dast_engine = "zap"
        devsecops_dast_max_seconds = "20"
        """
    )
    return pytester


def test_a_zap_scan_becomes_items(zap_project: pytest.Pytester) -> None:
    with zap_api.serve(KEY) as (url, state):
        result = zap_project.runpytest(
            "--devsecops", "-v", "--devsecops-zap-url", url, "-o", "devsecops_dast_active=true"
        )
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/dast::status PASSED*",
            "devsecops/dast::10038-1[[]site-wide[]] FAILED*",
            "devsecops/dast::10020-1[[]site-wide x-frame-options[]] FAILED*",
            "devsecops/dast::40012[[]GET /search q[]] FAILED*",
            "devsecops/dast::10010[[]site-wide sid[]] XFAIL*",
            "ZAP 2.17.0: * pages scanned*, complete; * findings*",
        ]
    )
    assert "core/action/newSession" in state.calls
    assert "context/action/includeInContext" in state.calls
    assert "ascan/action/scan" in state.calls
    assert list(state.contexts) == ["Default Context"]  # the scan's context was removed again
    assert KEY not in result.stdout.str() + result.stderr.str()


def test_switching_engines_keeps_accepted_findings_accepted(zap_project: pytest.Pytester) -> None:
    zap_project.runpytest(
        "--devsecops", "--devsecops-update-baseline", "-o", "devsecops_dast_engine=builtin"
    )
    with zap_api.serve(KEY) as (url, _):
        result = zap_project.runpytest("--devsecops", "-rx", "--devsecops-zap-url", url)
    # The rules both engines raise (CSP, anti-clickjacking, nosniff, HttpOnly) stay accepted.
    result.stdout.fnmatch_lines_random(
        [
            "XFAIL devsecops/dast::10038-1[[]site-wide[]] - baselined*",
            "XFAIL devsecops/dast::10020-1[[]site-wide x-frame-options[]] - baselined*",
            "XFAIL devsecops/dast::10010[[]site-wide sid[]] - baselined*",
        ]
    )
    assert "FAILED devsecops/dast::10038-1" not in result.stdout.str()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"api_key": "another-key"}, "closed the connection or is not listening (a wrong API key*"),
        (
            {"stuck_spider": True},
            "*the spider did not finish within the time limit (stuck at *%)*",
        ),
        ({"die_after": 6}, "*ZAP at * closed the connection or is not listening*"),
    ],
)
def test_zap_failures_fail_the_status(
    zap_project: pytest.Pytester, setup: dict[str, object], message: str
) -> None:
    options = {"api_key": KEY, **setup}
    with zap_api.serve(**options) as (url, _):  # type: ignore[arg-type]
        result = zap_project.runpytest(
            "--devsecops", "--devsecops-zap-url", url, "-o", "devsecops_dast_max_seconds=3"
        )
    result.stdout.fnmatch_lines([f"*{message}"])
    result.stdout.fnmatch_lines_random(["FAILED devsecops/dast::status*"])
    assert KEY not in result.stdout.str()


def test_an_unknown_policy_fails_the_status(zap_project: pytest.Pytester) -> None:
    with zap_api.serve(KEY) as (url, _):
        result = zap_project.runpytest(
            "--devsecops",
            "--devsecops-zap-url",
            url,
            "-o",
            "devsecops_dast_active=true",
            "-o",
            "devsecops_zap_policy=Nope",
        )
    result.stdout.fnmatch_lines(["*ascan/action/scan: ZAP answered 'does_not_exist'*"])


def test_zap_not_listening(zap_project: pytest.Pytester, closed_url: str) -> None:
    url = closed_url
    strict = zap_project.runpytest("--devsecops", "--devsecops-zap-url", url)
    strict.stdout.fnmatch_lines(["*ZAP at * closed the connection or is not listening*"])
    strict.stdout.fnmatch_lines_random(["FAILED devsecops/dast::status*"])
    auto = zap_project.runpytest(
        "--devsecops", "--devsecops-zap-url", url, "-o", "devsecops_dast_engine=auto", "-v"
    )
    # auto is no quieter: a configured ZAP that does not answer fails, never a silent fallback.
    auto.stdout.fnmatch_lines_random(
        [
            "devsecops/dast::status FAILED*",
            "*ZAP at * closed the connection or is not listening*",
        ]
    )
    assert "built-in engine" not in auto.stdout.str()


def test_nothing_crawled_is_not_clean(zap_project: pytest.Pytester, closed_url: str) -> None:
    target = closed_url
    with zap_api.serve(KEY) as (url, _):
        result = zap_project.runpytest(
            "--devsecops",
            "--devsecops-zap-url",
            url,
            "-o",
            "devsecops_app=",
            "-o",
            f"devsecops_target={target}",
        )
    result.stdout.fnmatch_lines(["*core/action/accessUrl: ZAP answered 'internal_error'*"])


def test_zap_launched_for_the_scan_and_stopped(
    zap_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZAP_API_KEY")
    result = zap_project.runpytest(
        "--devsecops",
        "-v",
        "-o",
        f"devsecops_zap_command={sys.executable} {DAEMON}",
        "-o",
        "devsecops_zap_start_timeout=30",
    )
    result.stdout.fnmatch_lines_random(["devsecops/dast::status PASSED*", "ZAP 2.17.0: *"])
    result.stdout.fnmatch_lines_random(["devsecops: ZAP spider *%*"])  # progress on the terminal
    assert _processes_running(DAEMON) == []


def _processes_running(script: Path) -> list[int]:
    """PIDs whose command line mentions `script` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(script).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_progress_is_silent_with_q(zap_project: pytest.Pytester) -> None:
    with zap_api.serve(KEY) as (url, _):
        result = zap_project.runpytest("--devsecops", "-q", "--devsecops-zap-url", url)
    assert "devsecops: ZAP" not in result.stdout.str()


def test_a_zap_baseline_rules_file_changes_outcomes(zap_project: pytest.Pytester) -> None:
    (zap_project.path / "zap-rules.tsv").write_text(
        "# zap-baseline rule configuration file\n"
        "10038\tIGNORE\t(Content Security Policy (CSP) Header Not Set)\n"
        "10010\tFAIL\t(Cookie No HttpOnly Flag)\n"
        "10020\tWARN\t(Anti-clickjacking Header)\n"
        "10021\tOUTOFSCOPE\t.*/about$\n"
    )
    with zap_api.serve(KEY) as (url, _):
        result = zap_project.runpytest(
            "--devsecops",
            "-v",
            "--devsecops-zap-url",
            url,
            "-o",
            "devsecops_zap_rules=zap-rules.tsv",
        )
    output = result.stdout.str()
    assert "10038-1" not in output  # IGNORE
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/dast::10010[[]site-wide sid[]] FAILED*",  # FAIL, though below the gate
            "devsecops/dast::10020-1[[]site-wide x-frame-options[]] XFAIL*",  # WARN: reported
        ]
    )
    seen_on = [
        line for line in result.outlines if line.startswith("  seen on:") and "/about" in line
    ]
    assert not [line for line in seen_on if "10021" in line]


def test_a_bad_rules_file_is_a_usage_error(zap_project: pytest.Pytester) -> None:
    (zap_project.path / "zap-rules.tsv").write_text("10038 IGNORE (spaces, not tabs)\n")
    result = zap_project.runpytest("--devsecops", "-o", "devsecops_zap_rules=zap-rules.tsv")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*zap-rules.tsv:1: expected at least 3 tab-separated fields*"])


def test_alerts_are_paged_from_one_and_none_is_lost() -> None:
    import pytest_devsecops.dast.zap.engine as engine_module

    with zap_api.serve(KEY) as (url, state), serve_wsgi(_many_pages) as base:
        client = ZapClient(url, KEY)
        engine = ZapEngine(client)
        old = engine_module.PAGE_SIZE
        engine_module.PAGE_SIZE = 7
        try:
            report = engine.scan(resolve_scope(base), base + "/", DastOptions(max_seconds=20))
        finally:
            engine_module.PAGE_SIZE = old
        assert not report.error
        assert len(report.alerts) == len(state.alerts) > 20
        assert "alert/view/alerts" in " ".join(state.calls)


def _many_pages(environ: dict[str, object], start_response: object) -> list[bytes]:
    links = "".join(f"<a href='/p{n}'>{n}</a>" for n in range(12))
    start_response("200 OK", [("Content-Type", "text/html")])  # type: ignore[operator]
    return [f"<html>{links}</html>".encode()]


def test_requests_outside_the_origin_fail_the_audit() -> None:
    with zap_api.serve(KEY) as (url, state), serve_wsgi(_many_pages) as base:
        client = ZapClient(url, KEY)
        scope = resolve_scope(base)
        with serve_wsgi(_many_pages) as other:
            import requests

            state.record("GET", other + "/", requests.get(other + "/", timeout=5), "3")
        with pytest.raises(ZapError, match="outside the target's origin"):
            ZapEngine(client)._audit(scope)


TRAFFIC_TESTS = """
def test_home(devsecops_http):
    assert devsecops_http.get("/").status_code == 200

def test_about(devsecops_http):
    assert "about" in devsecops_http.get("/about").text
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_test_traffic_goes_through_zap(zap_project: pytest.Pytester, workers: list[str]) -> None:
    zap_project.makepyfile(test_functional=TRAFFIC_TESTS)
    with zap_api.serve(KEY) as (url, state):
        result = zap_project.runpytest_subprocess(
            "-p", "no:cacheprovider", "-rfx", "-o", f"devsecops_zap_url={url}", *workers
        )
    proxied = [m["_url"] for m in state.messages if m["type"] == "1"]
    assert any(u.endswith("/about") for u in proxied)  # the tests' requests went through ZAP
    result.stdout.fnmatch_lines_random(
        [
            "FAILED devsecops/dast-traffic::10038-1[[]site-wide[]]*",
            "FAILED devsecops/dast-traffic::10020-1[[]site-wide x-frame-options[]]*",
        ]
    )
    assert result.parseoutcomes()["passed"] == 2


def test_zap_required_for_traffic_but_absent_fails_the_tests(
    zap_project: pytest.Pytester, closed_url: str
) -> None:
    zap_project.makepyfile(test_functional=TRAFFIC_TESTS)
    url = closed_url
    result = zap_project.runpytest("-p", "no:cacheprovider", "-o", f"devsecops_zap_url={url}")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*test traffic cannot go through ZAP*"])


def test_an_authenticated_configuration_is_refused_on_zap(
    zap_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ZAP is not given the credentials yet: scanning anyway would pass on the logged-out app.
    monkeypatch.setenv("API_AUTH", "Bearer not-shown")
    with zap_api.serve(KEY) as (url, _):
        result = zap_project.runpytest(
            "--devsecops",
            "--devsecops-zap-url",
            url,
            "-o",
            "devsecops_dast_header_env=Authorization: API_AUTH",
        )
    result.stdout.fnmatch_lines(["*authenticated scans * run on the built-in engine only*"])
    result.stdout.fnmatch_lines_random(["FAILED devsecops/dast::status*"])
