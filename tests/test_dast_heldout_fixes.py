"""Patterns the held-out benchmark apps showed the active scan missing, each in a minimal app: a
session cookie re-issued by the login page, an error message the template escapes, and an app
that fetches an input not named like a URL."""

from __future__ import annotations

import html
import io
import secrets
import sqlite3
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import pytest

from pytest_devsecops.dast import signatures
from pytest_devsecops.dast.app import serve_wsgi
from pytest_devsecops.dast.auth import AuthConfig, LoginConfig
from pytest_devsecops.dast.engine import BuiltinEngine
from pytest_devsecops.dast.findings import to_findings
from pytest_devsecops.dast.interface import DastOptions, DastReport
from pytest_devsecops.dast.scope import resolve_scope

StartResponse = Callable[..., Any]
HTML = [("Content-Type", "text/html; charset=utf-8")]


def _scan(app: Callable[..., Any], **options: Any) -> tuple[DastReport, set[tuple[str, str]]]:
    with serve_wsgi(app) as base:
        report = BuiltinEngine().scan(
            resolve_scope(base), base + "/", DastOptions(active=True, max_seconds=60, **options)
        )
    return report, {(f.rule, f.item_label) for f in to_findings(report.alerts, "dast", "")}


class SessionApp:
    """Like Flask or Django sessions: every visit to the login page stores a new CSRF token in a
    new anonymous session cookie, so one request that lands there logs the client out."""

    def __init__(self) -> None:
        self.sessions: dict[str, bool] = {}  # session id -> logged in
        self.tokens: dict[str, str] = {}

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        sid = environ.get("HTTP_COOKIE", "").partition("session=")[2].split(";")[0]
        if path == "/login":
            if environ["REQUEST_METHOD"] == "POST":
                size = int(environ.get("CONTENT_LENGTH") or 0)
                form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(size)).items()}
                if (
                    form.get(b"csrf", b"").decode() == self.tokens.get(sid)
                    and form.get(b"pw") == b"pw-" + b"value"
                ):
                    self.sessions[sid] = True
                    start("302 Found", [("Location", "/")])
                    return [b""]
            sid, token = secrets.token_hex(8), secrets.token_hex(8)
            self.sessions[sid], self.tokens[sid] = False, token
            start("200 OK", [*HTML, ("Set-Cookie", f"session={sid}; Path=/")])
            form_html = f"<form method=post><input type=hidden name=csrf value={token}>"
            return [(form_html + "<input name=user><input type=password name=pw>").encode()]
        if not self.sessions.get(sid):
            start("302 Found", [("Location", "/login")])
            return [b""]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        start("200 OK", list(HTML))
        if path == "/find":
            return [f"<p>results for {query.get('q', '')}</p>".encode()]  # reflected: planted
        return [b"<a href='/find?q=lamp'>find</a> <a href='/logout'>log out</a>"]


def test_probes_stay_logged_in_when_the_login_page_replaces_the_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_USER", "someone")
    monkeypatch.setenv("HF_PASSWORD", "pw-value")
    login = LoginConfig("/login", "user", "pw", "HF_USER", "HF_PASSWORD")
    report, found = _scan(SessionApp(), auth=AuthConfig(login=login), max_requests=1500)
    assert not report.stopped, report.stopped
    assert ("40012", "GET /find q") in found
    # The session cookie is the scan's own: a payload there would only log it out.
    assert not any(label.endswith("cookie:session") for _, label in found)


DB = sqlite3.connect(":memory:", check_same_thread=False)
DB.execute("CREATE TABLE items (name TEXT)")


def escaped_error_app(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
    """Shows the database error through an autoescaping template (quotes become &#34;)."""
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    q = query.get("q", "lamp")
    start("200 OK", list(HTML))
    if environ.get("PATH_INFO") == "/":
        return [b"<a href='/search?q=lamp'>s</a> <a href='/safe/search?q=lamp'>s</a>"]
    try:
        if environ.get("PATH_INFO") == "/search":
            DB.execute(f"SELECT name FROM items WHERE name LIKE '%{q}%'").fetchall()
        else:
            DB.execute("SELECT name FROM items WHERE name LIKE ?", (f"%{q}%",)).fetchall()
    except sqlite3.Error as exc:
        return [f"<pre>{html.escape(str(exc), quote=True)}</pre>".encode()]
    return [b"<p>no results</p>"]


def test_an_error_message_escaped_by_the_template_is_still_read() -> None:
    escaped = html.escape('unrecognized token: "\'"', quote=True)
    assert [m.source for m in signatures.find(f"<pre>{escaped}</pre>")] == ["SQLite"]
    _, found = _scan(escaped_error_app)
    assert ("40018", "GET /search q") in found
    assert not any("/safe/" in label for _, label in found)


def feed_app(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
    """Fetches `source` unless it is a local path: the input's name and value say nothing of
    URLs. The safe twin never fetches."""
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    source = query.get("source", "/feed.xml")
    start("200 OK", list(HTML))
    if environ.get("PATH_INFO") == "/":
        return [b"<a href='/feed?source=%2Ffeed.xml'>f</a> <a href='/safe/feed?source=%2Ff'>f</a>"]
    text = ""
    if environ.get("PATH_INFO") == "/feed" and not source.startswith("/"):
        try:
            with urllib.request.urlopen(source, timeout=3) as answer:  # noqa: S310 - planted
                text = answer.read(2000).decode("utf-8", "replace")
        except OSError:
            pass
    return [f"<p>feed</p><pre>{html.escape(text)}</pre>".encode()]


def test_an_input_not_named_like_a_url_is_tried_for_ssrf_and_file_urls() -> None:
    _, found = _scan(feed_app)
    assert ("40046", "GET /feed source") in found
    # urllib reads file: URLs too: the fetch is a path traversal as well
    assert ("6-2", "GET /feed source") in found
    assert not any("/safe/" in label for _, label in found)


def callback_app(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
    """Redirects to `return_to` as given: an open redirect and, with a CR LF in it, a header of
    the attacker's (two findings; each redirect probe costs two requests when followed)."""
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if environ.get("PATH_INFO") == "/":
        start("200 OK", list(HTML))
        return [b"<a href='/callback?return_to=%2Fhome'>sso</a>"]
    if environ.get("PATH_INFO") == "/callback":
        start("302 Found", [("Location", query.get("return_to", "/"))])
        return [b""]
    start("200 OK", list(HTML))
    return [b"<p>home</p>"]


def test_a_costly_probe_does_not_starve_a_cheap_one_of_the_parameters_budget() -> None:
    _, found = _scan(callback_app)
    assert {("20019-1", "GET /callback return_to"), ("40003", "GET /callback return_to")} <= found


def ping_app(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
    """Runs a shell line with the input and shows none of its output (blind); the safe twin
    passes the input as one argument."""
    import subprocess

    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    host = query.get("host", "localhost")
    start("200 OK", list(HTML))
    if environ.get("PATH_INFO") == "/":
        return [b"<a href='/ping?host=localhost'>p</a> <a href='/safe/ping?host=localhost'>p</a>"]
    if environ.get("PATH_INFO") == "/ping":
        subprocess.run(f"echo {host} >/dev/null 2>&1", shell=True, check=False)  # noqa: S602
    else:
        subprocess.run(["/bin/echo", host], capture_output=True, check=False)
    return [b"<p>ping sent</p>"]


def test_a_shell_that_shows_nothing_is_found_by_its_delay() -> None:
    _, found = _scan(ping_app)
    assert ("90020", "GET /ping host") in found
    assert ("90020", "GET /safe/ping host") not in found


class EmailLoginApp(SessionApp):
    """A login form whose fields are `email` and `passwd`, not the default names; a refused
    login answers with the form again."""

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/login":
            sid = environ.get("HTTP_COOKIE", "").partition("session=")[2].split(";")[0]
            if environ["REQUEST_METHOD"] == "POST":
                size = int(environ.get("CONTENT_LENGTH") or 0)
                form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(size)).items()}
                if (form.get(b"email"), form.get(b"passwd")) == (b"a@b.test", b"pw-value"):
                    self.sessions[sid] = True
                    start("302 Found", [("Location", "/")])
                    return [b""]
            elif sid not in self.sessions:
                sid = secrets.token_hex(8)
                self.sessions[sid] = False
            start("200 OK", [*HTML, ("Set-Cookie", f"session={sid}; Path=/")])
            return [b"<form method=post><input type=email name=email>"
                    b"<input type=password name=passwd><button>Sign in</button></form>"]  # fmt: skip
        return super().__call__(environ, start)


@pytest.mark.parametrize(("password", "reached"), [("pw-value", True), ("wrong", False)])
def test_a_login_form_with_other_field_names_needs_no_field_settings(
    monkeypatch: pytest.MonkeyPatch, password: str, reached: bool
) -> None:
    monkeypatch.setenv("HF_USER", "a@b.test")
    monkeypatch.setenv("HF_PASSWORD", password)
    login = LoginConfig("/login", username_env="HF_USER", password_env="HF_PASSWORD")
    with serve_wsgi(EmailLoginApp()) as base:
        options = DastOptions(max_seconds=30, auth=AuthConfig(login=login))
        report = BuiltinEngine().scan(resolve_scope(base), base + "/", options)
    if reached:
        assert not report.error, report.error
        assert any(page.url.endswith("/find?q=lamp") for page in report.pages)
    else:
        assert "refused" in report.error
    assert password not in repr(report)


class SqlLoginApp(SessionApp):
    """The login form itself builds its query from the user name; no page behind the login
    links back to it."""

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/login" and environ["REQUEST_METHOD"] == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(size)
            form = {k.decode(): v[0].decode() for k, v in parse_qs(body).items()}
            try:
                DB.execute(f"SELECT name FROM items WHERE name = '{form.get('user', '')}'")
            except sqlite3.Error as exc:
                start("200 OK", list(HTML))
                return [f"<p>{html.escape(str(exc))}</p>".encode()]
            environ["wsgi.input"] = io.BytesIO(body)
        return super().__call__(environ, start)


def test_the_login_form_of_an_authenticated_scan_is_probed_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_USER", "someone")
    monkeypatch.setenv("HF_PASSWORD", "pw-value")
    login = LoginConfig("/login", "user", "pw", "HF_USER", "HF_PASSWORD")
    report, found = _scan(SqlLoginApp(), auth=AuthConfig(login=login), max_requests=2000)
    assert not report.stopped, report.stopped
    assert ("40018", "POST /login user") in found
    assert ("40012", "GET /find q") in found  # and the pages behind it are still reached


def test_an_openapi_description_published_where_frameworks_put_it_is_used_unasked() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "apps"))
    import auth_apps

    report, found = _scan(auth_apps.openapi_app)  # no devsecops_openapi given
    assert ("40018", "POST /api/search json:filter.name") in found
    assert "OpenAPI description found at /openapi.json" in report.notes
    # Its unanswered operation is a note, not a coverage gap: nobody asked for this API.
    assert report.unreachable == ()
    assert any("did not answer below 400" in note for note in report.notes)
