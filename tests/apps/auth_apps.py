"""Apps behind a login: a form login with a CSRF token and a logout link that must never be
followed, and a JSON API behind a bearer token; plus a site that is only reachable through its
robots.txt and sitemap.xml."""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

StartResponse = Callable[..., Any]
HTML = [("Content-Type", "text/html; charset=utf-8")]
USER, PASSWORD = "alice", "correct horse battery staple"
SESSIONS: set[str] = set()
CSRF: set[str] = set()
LOG: list[str] = []  # every path asked for, so that tests can see what the scan requested


def _page(body: str) -> bytes:
    return f"<html><body>{body}</body></html>".encode()


def login_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    LOG.append(path)
    cookie = environ.get("HTTP_COOKIE", "")
    session = cookie.partition("sid=")[2].split(";")[0]
    if path == "/login":
        if environ["REQUEST_METHOD"] == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(size).decode()).items()}
            ok = form.get("csrf") in CSRF and (form.get("user"), form.get("pw")) == (USER, PASSWORD)
            if ok:
                sid = secrets.token_hex(8)
                SESSIONS.add(sid)
                start_response("302 Found", [("Location", "/"), ("Set-Cookie", f"sid={sid}")])
                return [b""]
            start_response("403 Forbidden", list(HTML))
            return [_page("wrong credentials")]
        token = secrets.token_hex(8)
        CSRF.add(token)
        start_response("200 OK", list(HTML))
        return [
            _page(
                f"<form method=post action=/login><input type=hidden name=csrf value={token}>"
                "<input name=user><input type=password name=pw></form>"
            )
        ]
    if session not in SESSIONS:
        start_response("302 Found", [("Location", "/login")])
        return [b""]
    if path == "/logout":
        SESSIONS.discard(session)
        start_response("302 Found", [("Location", "/login")])
        return [b""]
    if path == "/":
        body = (
            "<p>Welcome back</p><a href='/account?id=1'>account</a> <a href='/reports'>r</a> "
            "<a href='/logout'>log out</a>"
        )
    elif path == "/account":
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        body = f"<p>Welcome back, account {query.get('id', '')}</p>"  # reflected: planted
    elif path == "/reports":
        body = "<p>Welcome back: reports</p>"
    else:
        start_response("404 Not Found", list(HTML))
        return [_page("Welcome back: nothing here")]
    start_response("200 OK", list(HTML))
    return [_page(body)]


TOKEN = "s3cr3t-api-token-value"


def api_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """JSON only, and only with the bearer token."""
    if environ.get("HTTP_AUTHORIZATION") != f"Bearer {TOKEN}":
        start_response("401 Unauthorized", [("Content-Type", "application/json")])
        return [b'{"error": "unauthorized"}']
    path = environ.get("PATH_INFO", "/")
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/":
        body: Any = {"links": ["/items?q=a"]}
        start_response("200 OK", HTML)
        return [_page("<a href='/items?q=a'>items</a>")]
    body = {"items": [], "q": query.get("q", "")}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


def published_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Nothing links anywhere; robots.txt and sitemap.xml name the pages."""
    path = environ.get("PATH_INFO", "/")
    LOG.append(path)
    text = {
        "/robots.txt": "User-agent: *\nDisallow: /hidden-admin\nDisallow: /*.pdf$\n"
        "Sitemap: /maps/site.xml\n",
        "/maps/site.xml": "<urlset><url><loc>/from-sitemap</loc></url></urlset>",
    }
    if path in text:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [text[path].encode()]
    if path in ("/", "/hidden-admin", "/from-sitemap"):
        start_response("200 OK", list(HTML))
        return [_page(f"<p>{html.escape(path)}</p><a href='/sign-out'>bye</a>")]
    start_response("404 Not Found", list(HTML))
    return [_page("no")]
