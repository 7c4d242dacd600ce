"""Tiny WSGI apps for the DAST tests: each one behaves in one specific way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
HTML = [("Content-Type", "text/html; charset=utf-8")]


def empty(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """An empty 200 on every path: answers, but shows nothing to scan."""
    start_response("200 OK", list(HTML))
    return [b""]


def hardened(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Every security header set, an escaped search: nothing to report."""
    from html import escape
    from urllib.parse import parse_qs

    query = parse_qs(environ.get("QUERY_STRING", ""))
    body = f"<html><body><a href='/search?q=x'>s</a><p>{escape(query.get('q', [''])[0])}</p></body></html>"
    start_response(
        "200 OK",
        [
            *HTML,
            ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
        ],
    )
    return [body.encode()]


def make_redirector(target: str) -> Callable[..., Iterable[bytes]]:
    """/ redirects to `target` (another host or port); /page links there too."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/":
            start_response("302 Found", [("Location", target)])
            return [b""]
        start_response("200 OK", list(HTML))
        return [f"<html><a href='{target}'>away</a></html>".encode()]

    return app


def many_items(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """200 item pages of one template, each with an error trace."""
    path = environ.get("PATH_INFO", "/")
    if path == "/":
        links = "".join(f"<a href='/item/{n}'>{n}</a>" for n in range(1, 201))
        body = f"<html><body>{links}</body></html>"
    else:
        body = "<html><pre>Traceback (most recent call last):\n  File 'x.py'</pre></html>"
    start_response("200 OK", list(HTML))
    return [body.encode()]


def hostile(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Bad markup, a bogus charset, a redirect loop and a huge page."""
    path = environ.get("PATH_INFO", "/")
    if path == "/loop":
        start_response("302 Found", [("Location", "/loop")])
        return [b""]
    if path == "/huge":
        start_response("200 OK", list(HTML))
        return [b"<html>" + b"A" * (3 * 1024 * 1024) + b"</html>"]
    start_response("200 OK", [("Content-Type", "text/html; charset=no-such-charset")])
    return [
        b"<html><a href='/loop'>l</a><a href='/huge'>h</a><a href='\xff\xfe'>x</a><form><input name=",
        b"\x00\x1b[2J<script><!--",
    ]


def attribute_reflection(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Escapes < and > but not quotes: the query lands inside an attribute value."""
    from urllib.parse import parse_qs

    query = parse_qs(environ.get("QUERY_STRING", "")).get("q", ["x"])[0]
    safe_angles = query.replace("<", "&lt;").replace(">", "&gt;")
    body = (
        f'<html><body><a href=\'/?q=x\'>s</a><input name="q" value="{safe_angles}"></body></html>'
    )
    start_response("200 OK", list(HTML))
    return [body.encode()]


def post_only_cookie(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """A login form; only its POST answer sets a (flagless) session cookie."""
    headers = list(HTML)
    if environ.get("REQUEST_METHOD") == "POST":
        headers.append(("Set-Cookie", "session=s3cr3t; Path=/"))
        body = "<html><body>welcome</body></html>"
    else:
        body = "<html><body><form method='post' action='/login'><input name='user'></form></body></html>"
    start_response("200 OK", headers)
    return [body.encode()]
