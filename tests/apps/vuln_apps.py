"""A deliberately vulnerable WSGI app for the active probes: each vulnerable endpoint has a safe
twin under /safe/... that looks the same to a scanner, so that precision is tested too.
Everything it fetches stays on 127.0.0.1."""

from __future__ import annotations

import contextlib
import html
import json
import secrets
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

StartResponse = Callable[..., Any]
Handler = Callable[[dict[str, str], dict[str, Any]], tuple[str, list[tuple[str, str]], str]]
HTML = "text/html; charset=utf-8"


def _db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE TABLE items (id INTEGER, name TEXT, secret TEXT)")
    db.executemany(
        "INSERT INTO items VALUES (?, ?, ?)",
        [(1, "alice", "s1"), (2, "bob", "s2"), (3, "carol", "s3")],
    )
    db.create_function("SLEEP", 1, lambda seconds: time.sleep(min(float(seconds), 5)) or 0)
    return db


DB = _db()
STORED: list[str] = []
SAFE_STORED: list[str] = []
TOKENS: set[str] = set()


def page(body: str, title: str = "t") -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


def rows(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return DB.execute(sql, params).fetchall()


def index(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    links = [
        "/files/readme.txt",
        "/debug/echo",
        "/api/data",
        "/api/partner",
        "/item?id=1",
        "/blind?id=1",
        "/user?name=alice",
        "/sleepy?id=1",
        "/ping?host=localhost",
        "/ctx/script?q=x",
        "/ctx/attr?q=x",
        "/ctx/url?q=%2Fhome",
        "/ctx/unquote?q=x",
        "/go/refresh?next=%2F",
        "/go/meta?next=%2F",
        "/go/js?next=%2F",
        "/fetch?url=http%3A%2F%2F127.0.0.1%2F",
        "/guestbook",
        "/profile",
        "/legacy",
        "/order/2",
        "/member/42",
        "/lang",
        "/theme",
    ]
    links += ["/safe" + link for link in links]
    cookie = [("Set-Cookie", "theme=light; HttpOnly; SameSite=Lax")]
    return "200 OK", cookie, page("".join(f"<a href='{link}'>{link}</a> " for link in links))


# --- SQL injection -------------------------------------------------------------------------


def item(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """Numeric id, error-based: the database error is shown."""
    try:
        found = rows(f"SELECT name FROM items WHERE id = {q.get('id', '1')}")
    except sqlite3.Error as exc:
        return "500 Internal Server Error", [], page(f"sqlite3.OperationalError: {exc}")
    return "200 OK", [], page(f"<p>{html.escape(str(found))}</p>")


def safe_item(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """The same page, parameterised; a bad id shows a database-looking error of its own that
    every value (the original too) provokes after the first request: nothing to compare."""
    value = q.get("id", "1")
    if not value.isdigit():
        return "400 Bad Request", [], page("<p>id must be a number</p>")
    return (
        "200 OK",
        [],
        page(f"<p>{html.escape(str(rows('SELECT name FROM items WHERE id = ?', (value,))))}</p>"),
    )


def blind(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """Numeric id, blind: errors are swallowed, only the rows differ."""
    try:
        found = rows(f"SELECT name FROM items WHERE id = {q.get('id', '1')}")
    except sqlite3.Error:
        found = []
    listing = "".join(f"<li>{html.escape(name)}</li>" for (name,) in found) or "<li>none</li>"
    return "200 OK", [], page(f"<ul>{listing}</ul>")


def safe_blind(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    found = rows("SELECT name FROM items WHERE id = ?", (q.get("id", "1"),))
    listing = "".join(f"<li>{html.escape(name)}</li>" for (name,) in found) or "<li>none</li>"
    return "200 OK", [], page(f"<ul>{listing}</ul>")


def user(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """String parameter, blind, and it echoes the name (escaped): an echo is not a difference."""
    name = q.get("name", "")
    try:
        found = rows(f"SELECT secret FROM items WHERE name = '{name}'")
    except sqlite3.Error:
        found = []
    shown = "".join(f"<li>{html.escape(s)}</li>" for (s,) in found) or "<li>no such user</li>"
    return "200 OK", [], page(f"<h1>{html.escape(name)}</h1><ul>{shown}</ul>")


def safe_user(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    name = q.get("name", "")
    found = rows("SELECT secret FROM items WHERE name = ?", (name,))
    shown = "".join(f"<li>{html.escape(s)}</li>" for (s,) in found) or "<li>no such user</li>"
    return "200 OK", [], page(f"<h1>{html.escape(name)}</h1><ul>{shown}</ul>")


def sleepy(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """Time-based only: nothing on the page changes, the database has SLEEP()."""
    with contextlib.suppress(sqlite3.Error):
        rows(f"SELECT name FROM items WHERE id = {q.get('id', '1')}")
    return "200 OK", [], page("<p>thanks</p>")


def safe_sleepy(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    rows("SELECT name FROM items WHERE id = ?", (q.get("id", "1"),))
    return "200 OK", [], page("<p>thanks</p>")


# --- a shell's quoting error: command injection, never SQL injection ------------------------


def ping(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    host = q.get("host", "")
    done = subprocess.run(
        ["/bin/sh", "-c", f"echo pinging '{host}'"],
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    )
    return "200 OK", [], page(f"<pre>{html.escape(done.stdout + done.stderr)}</pre>")


def safe_ping(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """Shows a shell's quoting error text for a quote, but runs nothing from the input."""
    host = q.get("host", "")
    shown = "sh: 1: Syntax error: Unterminated quoted string" if "'" in host else "pinging"
    return "200 OK", [], page(f"<pre>{html.escape(shown)}</pre>")


# --- XSS in contexts ----------------------------------------------------------------------


def ctx_script(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    value = q.get("q", "").replace("<", "&lt;")
    return "200 OK", [], page(f"<script>var q = '{value}';</script>")


def safe_ctx_script(
    q: dict[str, str], env: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], str]:
    value = json.dumps(q.get("q", "")).replace("<", "\\u003c")
    return "200 OK", [], page(f"<script>var q = {value};</script>")


def ctx_attr(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    return "200 OK", [], page(f"<input name=q value={html.escape(q.get('q', ''))}>")


def safe_ctx_attr(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    return "200 OK", [], page(f'<input name=q value="{html.escape(q.get("q", ""))}">')


def ctx_url(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    return "200 OK", [], page(f'<a href="{html.escape(q.get("q", ""))}">home</a>')


def safe_ctx_url(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    target = q.get("q", "")
    target = target if target.startswith("/") else "/" + target
    return "200 OK", [], page(f'<a href="{html.escape(target)}">home</a> {html.escape(target)}')


def ctx_unquote(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """Decodes the raw query with unquote(): `+` stays a plus, %20 becomes a space."""
    raw = env.get("QUERY_STRING", "")
    value = unquote(raw.split("=", 1)[1]) if "=" in raw else ""
    return "200 OK", [], page(f"<p>{value}</p>")


def safe_ctx_unquote(
    q: dict[str, str], env: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], str]:
    raw = env.get("QUERY_STRING", "")
    value = unquote(raw.split("=", 1)[1]) if "=" in raw else ""
    return "200 OK", [], page(f"<p>{html.escape(value)}</p>")


# --- redirects other than Location --------------------------------------------------------


def go_refresh(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    return "200 OK", [("Refresh", f"0; url={q.get('next', '/')}")], page("moving")


def go_meta(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    target = html.escape(q.get("next", "/"))
    return "200 OK", [], page(f'<meta http-equiv="refresh" content="0; url={target}">moving')


def _js(text: str) -> str:
    return json.dumps(text).strip('"').replace("'", "\\u0027").replace("<", "\\u003c")


def go_js(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    target = _js(q.get("next", "/"))
    return "200 OK", [], page(f"<script>window.location = '{target}';</script>")


def _local(target: str) -> str:
    local = target.startswith("/") and not target.startswith("//")
    return target if local and "\r" not in target and "\n" not in target else "/"


def safe_go_refresh(
    q: dict[str, str], env: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], str]:
    return "200 OK", [("Refresh", f"0; url={_local(q.get('next', '/'))}")], page("moving")


def safe_go_meta(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    target = html.escape(_local(q.get("next", "/")))
    return "200 OK", [], page(f'<meta http-equiv="refresh" content="0; url={target}">moving')


def safe_go_js(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    target = _js(_local(q.get("next", "/")))
    return "200 OK", [], page(f"<script>window.location = '{target}';</script>")


# --- SSRF: fetches what it is given, but only on loopback ---------------------------------


def fetch(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    url = q.get("url", "")
    if urlsplit(url).hostname == "127.0.0.1":
        try:
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(url, timeout=3) as answer:  # loopback only, never via a proxy
                answer.read(1000)
        except OSError:
            pass
    return "200 OK", [], page("<p>fetched</p>")


def safe_fetch(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    return "200 OK", [], page("<p>fetched</p>")


# --- stored XSS, CSRF-protected form, an unclosed form ------------------------------------


def guestbook(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    safe = env["PATH_INFO"].startswith("/safe")
    store = SAFE_STORED if safe else STORED
    if env["REQUEST_METHOD"] == "POST":
        store.append(q.get("message", "")[:200])
        del store[:-20]
    shown = "".join(f"<li>{html.escape(m) if safe else m}</li>" for m in store)
    action = "/safe/guestbook" if safe else "/guestbook"
    form = f"<form method=POST action={action}><textarea name=message></textarea></form>"
    return "200 OK", [], page(f"{form}<ul>{shown}</ul>")


def profile(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """Its form carries a single-use token; without a valid one the POST is refused."""
    if env["REQUEST_METHOD"] == "POST":
        token = q.get("csrf_token", "")
        if token not in TOKENS:
            return "403 Forbidden", [], page("bad token")
        TOKENS.discard(token)
        return "200 OK", [], page(f"<p>saved {q.get('nick', '')}</p>")
    token = secrets.token_hex(8)
    TOKENS.add(token)
    form = (
        f"<form method=POST action=/profile><input type=hidden name=csrf_token value={token}>"
        "<input name=nick value=me>"
    )  # never closed, as in many real templates
    return "200 OK", [], page(form)


def legacy(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """The same action as /profile, without the token: probing this copy only gets 403s."""
    return "200 OK", [], page("<form method=POST action=/profile><input name=nick></form>")


def safe_profile(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    if env["REQUEST_METHOD"] == "POST":
        return "200 OK", [], page(f"<p>saved {html.escape(q.get('nick', ''))}</p>")
    return "200 OK", [], page("<form method=POST action=/safe/profile><input name=nick value=me>")


# --- inputs other than the query: path segment, header, cookie ------------------------------


def order(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """/order/<id>: the id comes from the path, straight into SQL."""
    try:
        found = rows(f"SELECT name FROM items WHERE id = {q['_segment']}")
    except sqlite3.Error as exc:
        return "500 Internal Server Error", [], page(f"sqlite3.OperationalError: {exc}")
    return "200 OK", [], page(f"<p>{html.escape(str(found))}</p>")


def safe_order(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    found = rows("SELECT name FROM items WHERE id = ?", (q["_segment"],))
    return "200 OK", [], page(f"<p>{html.escape(str(found))}</p>")


def member(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """/member/<id>: the linked id does not exist, so the page is a 404, yet the id from the
    path still goes straight into SQL and the database error shows on that 404."""
    try:
        found = rows(f"SELECT name FROM items WHERE id = {q['_segment']}")
    except sqlite3.Error as exc:
        return "404 Not Found", [], page(f"no such member (sqlite3.OperationalError: {exc})")
    if not found:
        return "404 Not Found", [], page("<p>no such member</p>")
    return "200 OK", [], page(f"<p>{html.escape(str(found))}</p>")


def safe_member(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    found = rows("SELECT name FROM items WHERE id = ?", (q["_segment"],))
    if not found:
        return "404 Not Found", [], page("<p>no such member</p>")
    return "200 OK", [], page(f"<p>{html.escape(str(found))}</p>")


def lang(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    return "200 OK", [], page(f"<p>language: {env.get('HTTP_ACCEPT_LANGUAGE', '')}</p>")


def safe_lang(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    shown = html.escape(env.get("HTTP_ACCEPT_LANGUAGE", ""))
    return "200 OK", [], page(f"<p>language: {shown}</p>")


def theme(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    value = unquote(env.get("HTTP_COOKIE", "").partition("theme=")[2].split(";")[0])
    return "200 OK", [], page(f"<p>theme: {value}</p>")


def safe_theme(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    value = unquote(env.get("HTTP_COOKIE", "").partition("theme=")[2].split(";")[0])
    return "200 OK", [], page(f"<p>theme: {html.escape(value)}</p>")


# --- files left in the web root, TRACE, CORS -----------------------------------------------

TEXT = [("Content-Type", "text/plain; charset=utf-8")]
FILES = {
    "/.git/config": "[core]\n\trepositoryformatversion = 0\n\tbare = false\n",
    "/files/readme.txt": "How to use the files area.\n",
    "/files/readme.txt.bak": "How to use the files area (draft).\n",
    "/files/.env": "DEBUG=1\nDATABASE_URL=sqlite:///:memory:\n",
}


def files(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """A static folder with a backup copy and a .env left in it (and a .git at the root)."""
    content = FILES.get(env["PATH_INFO"])
    if content is None:
        return "404 Not Found", TEXT, "not found\n"
    return "200 OK", TEXT, content


def safe_files(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """A "soft 404": any other name answers 200 with plain KEY=value lines, which look like a
    .env file; only the answer for a made-up name shows that they prove nothing."""
    if env["PATH_INFO"] == "/safe/files/readme.txt":
        return "200 OK", TEXT, FILES["/files/readme.txt"]
    return "200 OK", TEXT, f"STATUS=not-found\nPATH={env['PATH_INFO']}\n"


def debug_echo(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """Answers TRACE by echoing the request, its headers (cookies, auth) included."""
    if env["REQUEST_METHOD"] != "TRACE":
        return "200 OK", [], page("<p>debug</p>")
    lines = [f"TRACE {env['PATH_INFO']} HTTP/1.1"] + [
        f"{key[5:].replace('_', '-').title()}: {value}"
        for key, value in env.items()
        if key.startswith("HTTP_")
    ]
    return "200 OK", [("Content-Type", "message/http")], "\r\n".join(lines) + "\r\n"


def safe_debug_echo(
    q: dict[str, str], env: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], str]:
    if env["REQUEST_METHOD"] == "TRACE":
        return "405 Method Not Allowed", [("Allow", "GET, HEAD"), *TEXT], "not allowed\n"
    return "200 OK", [], page("<p>debug</p>")


PARTNER = "https://partner.example"
JSON = [("Content-Type", "application/json")]


def api_data(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """Any origin may read it: the Origin header is copied into the allowed origin."""
    origin = env.get("HTTP_ORIGIN", "")
    cors = [("Access-Control-Allow-Origin", origin)] if origin else []
    return "200 OK", [*JSON, *cors], '{"items": [1, 2, 3]}'


def safe_api_data(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    origin = env.get("HTTP_ORIGIN", "")
    cors = [("Access-Control-Allow-Origin", PARTNER)] if origin == PARTNER else []
    return "200 OK", [*JSON, *cors, ("Vary", "Origin")], '{"items": [1, 2, 3]}'


def api_partner(q: dict[str, str], env: dict[str, Any]) -> tuple[str, list[tuple[str, str]], str]:
    """An allow-list with "null" in it (for a local file someone tested with), and cookies."""
    origin = env.get("HTTP_ORIGIN", "")
    cors = []
    if origin in (PARTNER, "null"):
        cors = [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
        ]
    return "200 OK", [*JSON, *cors], '{"account": "alice"}'


def safe_api_partner(
    q: dict[str, str], env: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], str]:
    origin = env.get("HTTP_ORIGIN", "")
    cors = []
    if origin == PARTNER:
        cors = [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
        ]
    return "200 OK", [*JSON, *cors], '{"account": "alice"}'


ROUTES: dict[str, Handler] = {
    "/.git/config": files,
    "/files": files,
    "/debug/echo": debug_echo,
    "/api/data": api_data,
    "/api/partner": api_partner,
    "/order": order,
    "/member": member,
    "/lang": lang,
    "/theme": theme,
    "/": index,
    "/item": item,
    "/blind": blind,
    "/user": user,
    "/sleepy": sleepy,
    "/ping": ping,
    "/ctx/script": ctx_script,
    "/ctx/attr": ctx_attr,
    "/ctx/url": ctx_url,
    "/ctx/unquote": ctx_unquote,
    "/go/refresh": go_refresh,
    "/go/meta": go_meta,
    "/go/js": go_js,
    "/fetch": fetch,
    "/guestbook": guestbook,
    "/profile": profile,
    "/legacy": legacy,
}
SAFE: dict[str, Handler] = {
    "/files": safe_files,
    "/debug/echo": safe_debug_echo,
    "/api/data": safe_api_data,
    "/api/partner": safe_api_partner,
    "/order": safe_order,
    "/member": safe_member,
    "/lang": safe_lang,
    "/theme": safe_theme,
    "/item": safe_item,
    "/blind": safe_blind,
    "/user": safe_user,
    "/sleepy": safe_sleepy,
    "/ping": safe_ping,
    "/ctx/script": safe_ctx_script,
    "/ctx/attr": safe_ctx_attr,
    "/ctx/url": safe_ctx_url,
    "/ctx/unquote": safe_ctx_unquote,
    "/go/refresh": safe_go_refresh,
    "/go/meta": safe_go_meta,
    "/go/js": safe_go_js,
    "/fetch": safe_fetch,
    "/guestbook": guestbook,
    "/profile": safe_profile,
    "/legacy": safe_profile,
}
HEADERS = [
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
]


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if environ.get("REQUEST_METHOD") == "POST":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(min(size, 100_000)).decode()
        query.update({k: v[0] for k, v in parse_qs(body).items()})
    routed = path
    if "/order/" in path or "/member/" in path:
        routed, _, query["_segment"] = path.rpartition("/")
    elif path.startswith(("/files/", "/safe/files/")):
        routed = path[: path.index("files/") + 5]  # the whole folder is one handler
    handler = SAFE.get(routed[5:]) if routed.startswith("/safe/") else ROUTES.get(routed)
    if handler is None:
        start_response("404 Not Found", [("Content-Type", HTML), *HEADERS])
        return [page("not found").encode()]
    try:
        status, headers, body_text = handler(query, environ)
    except Exception as exc:
        status, headers, body_text = "500 Internal Server Error", [], page(html.escape(repr(exc)))
    typed = any(name == "Content-Type" for name, _ in headers)
    start_response(status, [*([] if typed else [("Content-Type", HTML)]), *HEADERS, *headers])
    return [body_text.encode()]


if __name__ == "__main__":  # pragma: no cover - by hand, and the benchmark's fresh process
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIServer, make_server

    class ThreadingServer(ThreadingMixIn, WSGIServer):
        # A scanner sends requests side by side, and a time-based probe sleeps in one of them.
        daemon_threads = True

    make_server("127.0.0.1", int(sys.argv[1]), app, server_class=ThreadingServer).serve_forever()
