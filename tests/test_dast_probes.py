"""The active probes on a vulnerable app with a safe twin for every endpoint: what they must find
(recall), what they must not (precision), and the pieces they are made of."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from pytest_devsecops.dast import probe_sql, signatures
from pytest_devsecops.dast.app import serve_wsgi
from pytest_devsecops.dast.engine import BuiltinEngine
from pytest_devsecops.dast.findings import to_findings
from pytest_devsecops.dast.http import HttpClient
from pytest_devsecops.dast.interface import DastOptions
from pytest_devsecops.dast.points import query_points
from pytest_devsecops.dast.probe_xss import context
from pytest_devsecops.dast.probing import Probing
from pytest_devsecops.dast.scope import resolve_scope

sys.path.insert(0, str(Path(__file__).parent / "apps"))
import vuln_apps

EXPECTED = {
    ("40018", "GET /item id"),  # numeric id, error-based (the decoy used to hide it)
    ("40018", "GET /blind id"),  # numeric id, boolean-based blind
    ("40018", "GET /user name"),  # string, boolean-based blind, echoed
    ("40018", "GET /order/{id} path:2"),  # an id in the path
    ("40018", "GET /member/{id} path:2"),  # an id in the path of a page that answered 404
    ("90020", "GET /ping host"),  # a shell: command injection, and never SQL injection
    ("40012", "GET /ctx/script q"),  # inside a JavaScript string
    ("40012", "GET /ctx/attr q"),  # unquoted attribute
    ("40012", "GET /ctx/url q"),  # href=javascript:
    ("40012", "GET /ctx/unquote q"),  # an app that decodes %20 but not +
    ("40012", "GET /lang header:Accept-Language"),
    ("40012", "GET /theme cookie:theme"),
    ("40012", "POST /profile nick"),  # only reachable with the fresh CSRF token
    ("40014-1", "POST /guestbook message"),  # stored
    ("20019-2", "GET /go/refresh next"),
    ("20019-3", "GET /go/meta next"),
    ("20019-4", "GET /go/js next"),
    ("40003", "GET /go/refresh next"),
    ("40046", "GET /fetch url"),
    ("40035", "GET /.git/config"),  # hidden file at the root
    ("40034", "GET /files/.env"),  # a .env in a crawled folder
    ("10095", "GET /files/readme.txt.bak"),  # a backup copy of a crawled file
    ("90028", "TRACE /debug/echo"),  # TRACE echoes the request
    ("40040-2", "GET /api/data"),  # CORS reflects any Origin
    ("40040-3", "GET /api/partner"),  # CORS allows the null origin, with credentials
}


@pytest.fixture(scope="module")
def findings() -> list[tuple[str, str]]:
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # header-injection answers are odd
    with serve_wsgi(vuln_apps.app) as base:
        report = BuiltinEngine().scan(
            resolve_scope(base), base + "/", DastOptions(active=True, max_seconds=120)
        )
    assert not report.stopped
    return [(f.rule, f.item_label) for f in to_findings(report.alerts, "dast", "")]


def test_every_planted_vulnerability_is_found(findings: list[tuple[str, str]]) -> None:
    assert set(findings) >= EXPECTED


def test_no_safe_twin_is_reported(findings: list[tuple[str, str]]) -> None:
    wrong = [f for f in findings if "/safe/" in f[1] and f[0] != "10202"]
    assert wrong == []


def test_a_shell_quoting_error_is_not_sql_injection(findings: list[tuple[str, str]]) -> None:
    assert not [f for f in findings if f[0] == "40018" and "/ping" in f[1]]


def test_the_typographic_apostrophe_of_django_is_a_debug_page() -> None:
    from pytest_devsecops.dast.http import Response
    from pytest_devsecops.dast.passive import check

    body = "<p>You\u2019re seeing this error because you have <code>DEBUG = True</code></p>"
    page = Response("GET", "http://127.0.0.1/x", 500, (("Content-Type", "text/html"),), body)
    assert "10023" in {alert.rule for alert in check(page, False)}


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("sh: 1: Syntax error: Unterminated quoted string", "shell"),
        ('ERROR:  unterminated quoted string at or near "\'"', "sql"),
        ('sqlite3.OperationalError: unrecognized token: "\'"', "sql"),
        ("jinja2.exceptions.TemplateSyntaxError: unexpected '}'", "template"),
        ("xml.etree.ElementTree.ParseError: not well-formed (invalid token)", "xml"),
    ],
)
def test_error_signatures_name_their_source(body: str, kind: str) -> None:
    assert {match.kind for match in signatures.find(body)} == {kind}


def test_an_error_the_original_page_shows_too_proves_nothing() -> None:
    error = "You have an error in your SQL syntax"
    assert signatures.attributed(f"<p>{error}</p>", f"<p>{error}</p>", "sql") is None
    assert signatures.attributed(f"<p>{error}</p>", "<p>ok</p>", "sql") is not None
    shell_and_sql = f"{error} sh: 1: Syntax error: Unterminated quoted string"
    assert signatures.attributed(shell_and_sql, "", "sql") is None


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ("<p>", "element"),
        ("<input value=", "attr-unquoted"),
        ('<input value="', "attr-dq"),
        ('<a href="', "url"),
        ('<meta http-equiv=refresh content="0; url=', "attr-dq"),
        ("<script>var a = '", "js-sq"),
        ("<script>var a = 1; ", "script"),
        ("<!-- ", "comment"),
        ("<textarea>", "raw:textarea"),
    ],
)
def test_where_a_reflection_lands(before: str, expected: str) -> None:
    assert context(before + "MARK</x>", len(before)) == expected


def _probing(base: str, path: str, name: str, **options: object) -> tuple[Probing, HttpClient]:
    client = HttpClient(resolve_scope(base), timeout=10)
    point = next(p for p in query_points(base + path) if p.name == name)
    return Probing(client, point, **options), client  # type: ignore[arg-type]


def test_time_based_sql_injection_is_opt_in_and_repeated() -> None:
    with serve_wsgi(vuln_apps.app) as base:
        off, client = _probing(base, "/sleepy?id=1", "id")
        assert list(probe_sql.time_based(off)) == []
        assert client.requests_made == 0  # not asked for: not a single request
        on, _ = _probing(base, "/sleepy?id=1", "id", time_based=True)
        (alert,) = probe_sql.time_based(on)
        safe, _ = _probing(base, "/safe/sleepy?id=1", "id", time_based=True)
        assert list(probe_sql.time_based(safe)) == []
    assert alert.rule == "40019"
    assert "delayed the answer twice" in alert.evidence


def _site(app: object, pages: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """The site-wide probes alone on `pages`; (rule, label) found and every path requested."""
    from pytest_devsecops.dast import probe_site
    from pytest_devsecops.dast.crawler import Page

    with serve_wsgi(app) as base:  # type: ignore[arg-type]
        client = HttpClient(resolve_scope(base), timeout=10)
        client.recorded = []
        crawled = tuple(Page(client.fetch("GET", base + path), 1) for path in pages)
        alerts = tuple(probe_site.run(client, crawled, ()))
    requested = [f"{r.method} {r.url.split('/', 3)[3]}" for r in client.recorded]
    return [(f.rule, f.item_label) for f in to_findings(alerts, "dast", "")], requested


def test_a_soft_404_folder_yields_no_hidden_or_backup_file() -> None:
    found, requested = _site(vuln_apps.app, ["/safe/files/readme.txt"])
    assert "GET safe/files/.env" in requested  # asked, answered 200 with KEY=value lines...
    assert found == [("40035", "GET /.git/config")]  # the root's; none in the soft-404 folder
    found, _ = _site(vuln_apps.app, ["/files/readme.txt"])
    assert {rule for rule, _ in found} == {"40035", "40034", "10095"}


def test_a_hidden_file_quotes_no_value() -> None:
    from pytest_devsecops.dast import probe_site

    match = probe_site.HIDDEN[2][2].search("API_KEY=hunter2hunter2\n")
    assert match is not None
    assert "hunter2" not in probe_site._evidence(match)


def _everywhere(environ: dict[str, str], start_response: object) -> list[bytes]:
    """TRACE and a reflected Origin on every page: a server or middleware setting."""
    origin = environ.get("HTTP_ORIGIN", "")
    body = "".join(f"{k}: {v}\n" for k, v in environ.items() if k.startswith("HTTP_"))
    headers = [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", origin)]
    start_response("200 OK", headers)  # type: ignore[operator]
    return [body.encode()]


def test_a_site_wide_trace_or_cors_setting_is_one_finding_each() -> None:
    found, _ = _site(_everywhere, ["/", "/a/1", "/b/2", "/c/3"])
    assert sorted(found) == [("40040-2", "GET /"), ("90028", "TRACE /")]
