"""Apps behind a login: a form login with a CSRF token and a logout link that must never be
followed, and a JSON API behind a bearer token; plus a site that is only reachable through its
robots.txt and sitemap.xml."""

from __future__ import annotations

import html
import io
import json
import secrets
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

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


SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "items", "version": "1"},
    "servers": [{"url": "/api"}],
    "paths": {
        "/items/{item_id}": {
            "get": {
                "parameters": [{"name": "item_id", "in": "path", "schema": {"type": "integer"}}]
            }
        },
        "/search": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Query"}}
                    }
                }
            }
        },
        "/safe-search": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Query"}}
                    }
                }
            }
        },
        "/import": {
            "post": {
                "requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}}}
            }
        },
        "/safe-import": {
            "post": {
                "requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}}}
            }
        },
        "/gone": {"get": {}},
    },
    "components": {
        "schemas": {
            "Query": {
                "type": "object",
                "properties": {
                    "filter": {
                        "type": "object",
                        "properties": {"name": {"type": "string", "example": "alice"}},
                    }
                },
            }
        }
    },
}


def openapi_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """A JSON/XML API with no HTML and no links: only its OpenAPI description says what is there.
    /api/search builds SQL from a JSON leaf; /api/import expands external entities (through the
    standard library's SAX parser, which then fetches them); the safe twins do neither."""
    import sqlite3
    import xml.sax
    from xml.sax.handler import ContentHandler, EntityResolver, feature_external_ges
    from xml.sax.xmlreader import InputSource

    path = environ.get("PATH_INFO", "/")
    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(size) if size else b""
    status, answer = "200 OK", b""
    if path == "/openapi.json":
        answer = json.dumps(SPEC).encode()
    elif path.startswith("/api/items/"):
        answer = json.dumps({"id": path.rsplit("/", 1)[1]}).encode()
    elif path in ("/api/search", "/api/safe-search"):
        name = json.loads(body or b"{}").get("filter", {}).get("name", "")
        db = sqlite3.connect(":memory:")
        db.execute("CREATE TABLE t (name TEXT)")
        try:
            if path == "/api/search":
                rows = db.execute(f"SELECT name FROM t WHERE name = '{name}'").fetchall()
            else:
                rows = db.execute("SELECT name FROM t WHERE name = ?", (name,)).fetchall()
            answer = json.dumps({"rows": rows}).encode()
        except sqlite3.Error as exc:
            status, answer = (
                "500 Internal Server Error",
                f"sqlite3.OperationalError: {exc}".encode(),
            )
    elif path in ("/api/import", "/api/safe-import"):
        text: list[str] = []

        class Collect(ContentHandler):
            def characters(self, content: str) -> None:
                text.append(content)

        class LoopbackOnly(EntityResolver):
            """Fetches external entities as a vulnerable parser does, but never off loopback
            and never through a proxy."""

            def resolveEntity(self, public_id: str | None, system_id: str) -> InputSource:
                source = InputSource(system_id)
                data = b""
                if urlsplit(system_id).hostname == "127.0.0.1":
                    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                    with opener.open(system_id, timeout=3) as fetched:
                        data = fetched.read(1000)
                source.setByteStream(io.BytesIO(data))
                return source

        parser = xml.sax.make_parser()  # noqa: S317 - deliberately vulnerable test app
        parser.setFeature(feature_external_ges, path == "/api/import")
        parser.setEntityResolver(LoopbackOnly())
        parser.setContentHandler(Collect())
        try:
            parser.feed(body)
            parser.close()
        except xml.sax.SAXException as exc:
            status, text = "400 Bad Request", [str(exc)]
        answer = json.dumps({"imported": "".join(text)}).encode()
    else:
        status, answer = "404 Not Found", b'{"error": "no such operation"}'
    start_response(status, [("Content-Type", "application/json")])
    return [answer]
