"""What the DAST scan reaches and when it must admit it saw nothing real: forms as browsers
read them, robots.txt and sitemap seeds, exclusions, logins, login walls, a foreign server on the
app's port, and the negative control."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pytest_devsecops.dast import canary, html
from pytest_devsecops.dast.app import serve_wsgi
from pytest_devsecops.dast.auth import AuthConfig, LoginConfig
from pytest_devsecops.dast.engine import BuiltinEngine
from pytest_devsecops.dast.findings import to_findings
from pytest_devsecops.dast.interface import DastOptions, DastReport
from pytest_devsecops.dast.scope import resolve_scope
from pytest_devsecops.dast.target import TargetConfig
from pytest_devsecops.scanners.dast import DastScanner, build_result
from pytest_devsecops.scanners.interface import ScanContext

sys.path.insert(0, str(Path(__file__).parent / "apps"))
import auth_apps

BASE = "http://127.0.0.1:1/dir/page"


def test_forms_are_read_as_a_browser_reads_them() -> None:
    document = html.parse(
        BASE,
        "<base href='/app/'>"
        "<form id=f method=post action=save><input name=a value=1>"
        "<select name=s><option value=x>x<option value=y selected>y</select>"
        "<button type=submit formaction=/other formmethod=get>o</button>"
        "<form action=/second><input name=b>",  # neither form is closed
    )
    outside = html.parse(BASE, "<form id=f action=/x method=post></form><input form=f name=late>")
    forms = {
        (form.method, form.action): dict((n, v) for n, _, v in form.fields)
        for form in document.forms
    }
    assert forms[("POST", "http://127.0.0.1:1/app/save")] == {"a": "1", "s": "y"}
    assert ("GET", "http://127.0.0.1:1/other") in forms  # the button's own action
    assert forms[("GET", "http://127.0.0.1:1/second")] == {"b": ""}
    assert outside.forms[0].field_names() == ["late"]


def _scan(app: object, **options: object) -> DastReport:
    with serve_wsgi(app) as base:  # type: ignore[arg-type]
        return BuiltinEngine().scan(resolve_scope(base), base + "/", DastOptions(**options))  # type: ignore[arg-type]


def test_robots_and_sitemap_seed_the_crawl_and_logout_is_never_requested() -> None:
    auth_apps.LOG.clear()
    report = _scan(auth_apps.published_app)
    paths = {page.url.split("/", 3)[3] for page in report.pages}
    assert {"hidden-admin", "from-sitemap"} <= paths
    assert "/sign-out" not in auth_apps.LOG
    assert not [p for p in auth_apps.LOG if "pdf" in p]  # wildcard rules are not paths


def test_a_user_exclusion_is_never_requested() -> None:
    auth_apps.LOG.clear()
    _scan(auth_apps.published_app, exclude=("/hidden-*",))
    assert "/hidden-admin" not in auth_apps.LOG


def context(tmp_path: Path) -> ScanContext:
    return ScanContext(root=tmp_path, paths=(tmp_path,), excludes=(), timeout=60, workdir=tmp_path)


def test_every_page_redirecting_to_the_login_fails_the_status() -> None:
    report = _scan(auth_apps.login_app)
    result = build_result("dast", "builtin", report, 1, "", 0.0)
    assert result.error == "every page redirected to /login: configure authentication"
    assert "devsecops_dast_login_url" in result.hint


LOGIN = LoginConfig(
    url="/login",
    username_field="user",
    password_field="pw",
    username_env="APP_USER",
    password_env="APP_PASSWORD",
    logged_in_pattern="Welcome back",
)


def test_a_form_login_reaches_the_pages_behind_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_USER", auth_apps.USER)
    monkeypatch.setenv("APP_PASSWORD", auth_apps.PASSWORD)
    auth_apps.LOG.clear()
    report = _scan(auth_apps.login_app, active=True, auth=AuthConfig(login=LOGIN))
    result = build_result("dast", "builtin", report, 2, "", 0.0)
    assert result.complete, result.error
    assert "/logout" not in auth_apps.LOG
    assert {"/account", "/reports"} <= {urlsplit(page.url).path for page in report.pages}
    assert ("40012", "GET /account id") in {
        (f.rule, f.item_label) for f in to_findings(report.alerts, "dast", "")
    }
    assert any("logged in by form login at /login" in note for note in result.notes)
    assert auth_apps.PASSWORD not in repr(result)


def test_missing_credentials_fail_without_printing_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_USER", auth_apps.USER)
    monkeypatch.delenv("APP_PASSWORD", raising=False)
    report = _scan(auth_apps.login_app, auth=AuthConfig(login=LOGIN))
    assert report.error.startswith("authentication failed")
    assert "APP_PASSWORD" in report.error
    assert auth_apps.USER not in report.error


def test_a_bearer_token_opens_a_json_api() -> None:
    report = _scan(auth_apps.api_app)
    assert not build_result("dast", "b", report, 2, "", 0.0).complete
    token = AuthConfig(headers=(("Authorization", f"Bearer {auth_apps.TOKEN}"),))
    report = _scan(auth_apps.api_app, auth=token)
    result = build_result("dast", "b", report, 2, "", 0.0)
    assert result.complete, result.error
    assert auth_apps.TOKEN not in repr(result)


def test_a_foreign_server_on_the_apps_port_gets_no_probe(tmp_path: Path) -> None:
    from pytest_devsecops.dast import identity

    with serve_wsgi(auth_apps.published_app) as base:
        with pytest.raises(identity.ForeignServer, match="not the app pytest-devsecops started"):
            identity.check_nonce(base, identity.new_nonce())
        port = int(base.rsplit(":", 1)[1])
        # Served by the test process itself, not by a child we started: foreign.
        with pytest.raises(identity.ForeignServer, match="not by devsecops_app_command"):
            identity.check_owner(port)
    with pytest.raises(identity.ForeignServer, match="nothing we can see listens"):
        identity.check_owner(port)


def test_a_command_that_does_not_serve_its_port_is_refused(tmp_path: Path) -> None:
    # The command answers readiness on *another* server's port: a foreign answer.
    with serve_wsgi(auth_apps.published_app) as foreign:
        port = foreign.rsplit(":", 1)[1]
        target = TargetConfig(command=f"{sys.executable} -c 'import time; time.sleep(30)'")
        from pytest_devsecops.dast import app as app_module

        original = app_module.free_port
        app_module.free_port = lambda: int(port)  # type: ignore[assignment]
        try:
            result = DastScanner(target, DastOptions()).scan(context(tmp_path))
        finally:
            app_module.free_port = original  # type: ignore[assignment]
    assert "not by devsecops_app_command" in result.error
    assert not result.coverage.scanned


def test_the_negative_control_is_flagged_and_a_blind_engine_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert canary.check(active=True) == ""
    monkeypatch.setattr(canary, "PASSIVE", {"10038-1", "99999"})
    with serve_wsgi(auth_apps.published_app) as base:
        result = DastScanner(TargetConfig(url=base), DastOptions()).scan(context(tmp_path))
    assert "negative control" in result.error
    assert "99999" in result.error
    assert not result.coverage.scanned  # the real app received no request


def test_many_answers_of_one_page_are_one_distinct_page() -> None:
    from pytest_devsecops.dast.interface import PageVisit

    visits = tuple(
        PageVisit(
            "GET",
            "http://127.0.0.1:1/home",
            200,
            size=10,
            redirected_from=f"http://127.0.0.1:1/{n}",
        )
        for n in range(5)
    )
    result = build_result("dast", "b", DastReport("builtin", "x", visits), 2, "", 0.0)
    assert "saw 1 in-scope page(s)" in result.error


def test_an_asgi_app_is_served_in_process_with_its_lifespan(tmp_path: Path) -> None:
    import asgi_app

    asgi_app.STATE.update(started=False, stopped=False)
    scanner = DastScanner(TargetConfig(wsgi="asgi_app:app"), DastOptions(active=True))
    result = scanner.scan(context(tmp_path))
    assert result.complete, result.error
    assert "40012" in {finding.rule for finding in result.findings}
    assert asgi_app.STATE == {"started": True, "stopped": True}


def test_an_api_is_scanned_from_its_openapi_description() -> None:
    report = _scan(auth_apps.openapi_app, active=True, openapi_url="/openapi.json")
    found = {(f.rule, f.item_label) for f in to_findings(report.alerts, "dast", "")}
    assert ("40018", "POST /api/search json:filter.name") in found  # a JSON body leaf
    assert ("90023", "POST /api/import") in found  # XXE, through our loopback marker
    assert not [f for f in found if "safe" in f[1]]
    assert {urlsplit(p.url).path for p in report.pages} >= {"/api/items/1"}
    assert report.unreachable == (
        ("GET http://" + report.target.split("/")[2] + "/api/gone", "answered 404"),
    )
    result = build_result("dast", "b", report, 1, "", 0.0)
    assert not result.complete  # an operation the scan could not reach is a coverage gap
