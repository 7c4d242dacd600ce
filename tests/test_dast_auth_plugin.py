"""Authenticated DAST end to end: an ini form login for the zero-code scan, the
devsecops_dast_auth fixture for scans in tests, a login wall, and credentials never printed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

APPS = Path(__file__).parent / "apps"
PASSWORD = "correct horse battery staple"  # auth_apps.PASSWORD
TOKEN = "s3cr3t-api-token-value"  # auth_apps.TOKEN


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copy(APPS / "auth_apps.py", pytester.path / "auth_apps.py")
    return pytester


def _ini(pytester: pytest.Pytester, app: str, extra: str = "") -> None:
    pytester.makepyprojecttoml(
        f"""
        [tool.pytest.ini_options]
        pythonpath = ["."]
        devsecops_scanners = ["dast"]
        devsecops_app = "auth_apps:{app}"
        devsecops_fail_on = "critical"
        {extra}
        """
    )


def test_a_login_wall_fails_the_status(project: pytest.Pytester) -> None:
    _ini(project, "login_app")
    result = project.runpytest("--devsecops", "-v")
    result.stdout.fnmatch_lines(
        [
            "*every page redirected to /login: configure authentication*",
            "*devsecops_dast_login_url*",
        ]
    )
    result.stdout.fnmatch_lines(["devsecops/dast::status FAILED*"])


def test_an_ini_login_scans_behind_it_and_never_prints_the_password(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCAN_USER", "alice")
    monkeypatch.setenv("SCAN_PASSWORD", PASSWORD)
    _ini(
        project,
        "login_app",
        """devsecops_dast_login_url = "/login"
        devsecops_dast_login_username_field = "user"
        devsecops_dast_login_password_field = "pw"
        devsecops_dast_login_username_env = "SCAN_USER"
        devsecops_dast_login_password_env = "SCAN_PASSWORD"
        devsecops_dast_logged_in_pattern = "Welcome back"
        devsecops_dast_min_pages = "3"
        """,
    )
    result = project.runpytest("--devsecops", "-v", "-rA", "-o", "devsecops_dast_active=true")
    result.stdout.fnmatch_lines_random(
        ["devsecops/dast::status PASSED*", "devsecops/dast::40012[[]GET /account id[]] XFAIL*"]
    )
    output = result.stdout.str() + result.stderr.str()
    assert "logged in by form login at /login" in output
    assert PASSWORD not in output


def test_the_auth_fixture_opens_an_api_for_a_scan_in_a_test(project: pytest.Pytester) -> None:
    _ini(project, "api_app")
    project.makeconftest(
        f"""
        import pytest

        @pytest.fixture(scope="session")
        def devsecops_dast_auth():
            return {{"headers": {{"Authorization": "Bearer {TOKEN}"}}}}
        """
    )
    project.makepyfile(
        test_api="""
        def test_api_dast(devsecops_dast):
            result = devsecops_dast.check()
            assert len(result.coverage.scanned) >= 2
        """
    )
    result = project.runpytest("-v", "-p", "no:randomly")
    result.stdout.fnmatch_lines(["*test_api_dast PASSED*"])
    assert TOKEN not in result.stdout.str()


def test_an_ini_header_opens_a_token_api_to_the_zero_code_scan(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No test to write: the variable's name is in the configuration, the token in CI's secrets.
    monkeypatch.setenv("API_AUTH", f"Bearer {TOKEN}")
    _ini(
        project,
        "api_app",
        """devsecops_dast_header_env = ["Authorization: API_AUTH"]
        devsecops_dast_min_pages = "2"
        """,
    )
    result = project.runpytest("--devsecops", "-v", "-rA")
    result.stdout.fnmatch_lines(["devsecops/dast::status PASSED*"])
    output = result.stdout.str() + result.stderr.str()
    assert "headers from devsecops_dast_header_env (Authorization from $API_AUTH)" in output
    assert TOKEN not in output


def test_an_unset_header_variable_fails_the_status_naming_it(project: pytest.Pytester) -> None:
    _ini(project, "api_app", 'devsecops_dast_header_env = ["Authorization: NO_SUCH_VARIABLE"]')
    result = project.runpytest("--devsecops", "-v")
    result.stdout.fnmatch_lines(
        [
            "devsecops/dast::status FAILED*",
            "*header credentials are not set: environment variable(s) NO_SUCH_VARIABLE*",
        ]
    )


def test_a_header_value_in_the_configuration_is_a_usage_error(project: pytest.Pytester) -> None:
    _ini(project, "api_app", f'devsecops_dast_header_env = ["Authorization: Bearer {TOKEN}"]')
    result = project.runpytest("--devsecops")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*line 1 is not 'Header-Name: ENV_VARIABLE'*"])
    assert TOKEN not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('devsecops_dast_login_url = "/login"', "*devsecops_dast_login_username_env*"),
        (
            'devsecops_dast_login_url = "/login"\n        devsecops_dast_login_username_env = "U"\n'
            '        devsecops_dast_login_password_env = "P"\n'
            '        devsecops_dast_logged_in_pattern = "(unclosed"',
            "*devsecops_dast_logged_in_pattern: not a valid regular expression*",
        ),
        ('devsecops_openapi = "missing.json"', "*devsecops_openapi = missing.json: no such file*"),
    ],
)
def test_bad_dast_settings_are_usage_errors(
    project: pytest.Pytester, extra: str, message: str
) -> None:
    _ini(project, "login_app", extra)
    result = project.runpytest("--devsecops")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_marker_exclusions_add_to_the_logout_defaults() -> None:
    from pytest_devsecops.dast.interface import DEFAULT_EXCLUDE, DastOptions
    from pytest_devsecops.dast_check import with_overrides as _with

    options = _with(DastOptions(), {"exclude": ["/admin/*"], "time_based": True})
    assert options.exclude == (*DEFAULT_EXCLUDE, "/admin/*")
    assert options.time_based


LOCKOUT_APP = """
import html
from urllib.parse import parse_qs

SESSIONS = {"logins": 0, "alive": 0}
FORM = (b"<html><body><form method='post' action='/login'><input name='user'>"
        b"<input type='password' name='pw'><button>go</button></form></body></html>")


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/login" and environ["REQUEST_METHOD"] == "POST":
        SESSIONS["logins"] += 1
        if SESSIONS["logins"] > 1:  # a lockout: the second login is refused
            start_response("429 Too Many Requests", [("Content-Type", "text/plain")])
            return [b"locked out"]
        SESSIONS["alive"] = 12  # the session dies after a few pages
        start_response("302 Found", [("Location", "/"), ("Set-Cookie", "sid=ok; Path=/")])
        return [b""]
    if path == "/login":
        start_response("200 OK", [("Content-Type", "text/html")])
        return [FORM]
    if "sid=ok" not in environ.get("HTTP_COOKIE", "") or SESSIONS["alive"] <= 0:
        start_response("302 Found", [("Location", "/login")])
        return [b""]
    SESSIONS["alive"] -= 1
    links = "".join(f"<a href='/p{n}'>p{n}</a>" for n in range(20))
    start_response("200 OK", [("Content-Type", "text/html")])
    return [f"<html><body><p>Welcome back</p>{links}</body></html>".encode()]
"""


def test_a_session_lost_for_good_fails_the_status(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A lockout or a rate-limited login ends the scan early: that is no limit the user chose,
    # so the pages not seen are a coverage gap, never a quiet pass.
    monkeypatch.setenv("SCAN_USER", "alice")
    monkeypatch.setenv("SCAN_PASSWORD", PASSWORD)
    pytester.makepyfile(lockout=LOCKOUT_APP)
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        devsecops_scanners = ["dast"]
        devsecops_app = "lockout:app"
        devsecops_fail_on = "critical"
        devsecops_dast_login_url = "/login"
        devsecops_dast_login_username_field = "user"
        devsecops_dast_login_password_field = "pw"
        devsecops_dast_login_username_env = "SCAN_USER"
        devsecops_dast_login_password_env = "SCAN_PASSWORD"
        devsecops_dast_min_pages = "1"
        """
    )
    result = pytester.runpytest("--devsecops", "-v")
    result.stdout.fnmatch_lines(["devsecops/dast::status FAILED*"])
    result.stdout.fnmatch_lines(["*stopped early: the session was lost*"])
