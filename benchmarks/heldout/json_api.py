"""Held-out benchmark app 2: a plain-WSGI JSON API behind `Authorization: Bearer`, described by an
OpenAPI document at /openapi.json and linking nothing. Deliberately vulnerable (see README)."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import subprocess
import threading
import urllib.request
import xml.sax
import xml.sax.handler
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment
from lxml import etree

TOKEN = "bench-api-token-7f3a"  # noqa: S105 - a benchmark app's fixed test credential
FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")
StartResponse = Callable[..., Any]
Reply = tuple[int, Any, list[tuple[str, str]]]

_LOCK = threading.Lock()
_DB = sqlite3.connect(":memory:", check_same_thread=False)
_DB.executescript(
    """CREATE TABLE users (id INTEGER, name TEXT, email TEXT);
    INSERT INTO users VALUES (1, 'ada', 'ada@example.test'), (2, 'linus', 'l@example.test');
    CREATE TABLE invoices (id INTEGER, owner INTEGER, amount REAL);
    INSERT INTO invoices VALUES (10, 1, 99.5), (11, 2, 12.0);
    CREATE TABLE notes (title TEXT, body TEXT);"""
)
_DIRECTORY = etree.fromstring(
    b"<staff><person><login>ada</login><role>admin</role></person>"
    b"<person><login>linus</login><role>dev</role></person></staff>"
)
_PEOPLE = [{"cn": "ada", "mail": "ada@example.test"}, {"cn": "linus", "mail": "l@example.test"}]


def _sql(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with _LOCK:
        return _DB.execute(sql, params).fetchall()


def _error(exc: Exception, status: int = 500) -> Reply:
    """Like many APIs in debug mode: the exception's type and message go back to the client."""
    return (
        status,
        {"error": type(exc).__module__ + "." + type(exc).__name__, "detail": str(exc)},
        [],
    )


# 1. numeric SQL injection in a path segment
def user(ident: str, q: dict[str, str], body: Any) -> Reply:
    try:
        rows = _sql(f"SELECT id, name, email FROM users WHERE id = {ident}")  # noqa: S608
    except sqlite3.Error as exc:
        return _error(exc)
    return (200, {"id": rows[0][0], "name": rows[0][1]}, []) if rows else (404, {"error": "no"}, [])


def safe_user(ident: str, q: dict[str, str], body: Any) -> Reply:
    rows = _sql("SELECT id, name, email FROM users WHERE id = ?", (ident,))
    return (200, {"id": rows[0][0], "name": rows[0][1]}, []) if rows else (404, {"error": "no"}, [])


# 2. string SQL injection in a query parameter, error in the JSON
def users_by_name(ident: str, q: dict[str, str], body: Any) -> Reply:
    try:
        rows = _sql(f"SELECT id, name FROM users WHERE name = '{q.get('name', '')}'")  # noqa: S608
    except sqlite3.Error as exc:
        return _error(exc)
    return 200, [{"id": r[0], "name": r[1]} for r in rows], []


def safe_users_by_name(ident: str, q: dict[str, str], body: Any) -> Reply:
    rows = _sql("SELECT id, name FROM users WHERE name = ?", (q.get("name", ""),))
    return 200, [{"id": r[0], "name": r[1]} for r in rows], []


# 3. boolean-blind numeric SQL injection (errors become an empty list)
def invoices(ident: str, q: dict[str, str], body: Any) -> Reply:
    try:
        rows = _sql(f"SELECT id, amount FROM invoices WHERE owner = {q.get('owner', '1')}")  # noqa: S608
    except sqlite3.Error:
        rows = []
    return 200, [{"id": r[0], "amount": r[1]} for r in rows], []


def safe_invoices(ident: str, q: dict[str, str], body: Any) -> Reply:
    rows = _sql("SELECT id, amount FROM invoices WHERE owner = ?", (q.get("owner", "1"),))
    return 200, [{"id": r[0], "amount": r[1]} for r in rows], []


# 4. SQL injection in a JSON body leaf
def add_note(ident: str, q: dict[str, str], body: Any) -> Reply:
    note = body if isinstance(body, dict) else {}
    title, text = str(note.get("title", "")), str(note.get("body", ""))
    try:
        _sql(f"INSERT INTO notes VALUES ('{title}', ?)", (text,))  # noqa: S608
    except sqlite3.Error as exc:
        return _error(exc, 400)
    return 201, {"title": title}, []


def safe_add_note(ident: str, q: dict[str, str], body: Any) -> Reply:
    note = body if isinstance(body, dict) else {}
    _sql("INSERT INTO notes VALUES (?, ?)", (str(note.get("title", "")), str(note.get("body", ""))))
    return 201, {"title": str(note.get("title", ""))}, []


# 5. command injection in a JSON body leaf
def diagnose(ident: str, q: dict[str, str], body: Any) -> Reply:
    host = str((body or {}).get("host", "")) if isinstance(body, dict) else ""
    done = subprocess.run(  # noqa: S602 - the planted vulnerability
        f"echo resolving {host}", shell=True, capture_output=True, text=True, timeout=10
    )
    return 200, {"output": done.stdout + done.stderr}, []


def safe_diagnose(ident: str, q: dict[str, str], body: Any) -> Reply:
    host = str((body or {}).get("host", "")) if isinstance(body, dict) else ""
    done = subprocess.run(
        ["/bin/echo", "resolving", host], capture_output=True, text=True, timeout=10
    )
    return 200, {"output": done.stdout}, []


# 6. template injection (Jinja2 from a JSON body leaf)
def render(ident: str, q: dict[str, str], body: Any) -> Reply:
    greeting = str((body or {}).get("greeting", "")) if isinstance(body, dict) else ""
    try:
        return 200, {"text": Environment().from_string("Mail: " + greeting).render()}, []  # noqa: S701
    except Exception as exc:
        return _error(exc, 400)


def safe_render(ident: str, q: dict[str, str], body: Any) -> Reply:
    greeting = str((body or {}).get("greeting", "")) if isinstance(body, dict) else ""
    return 200, {"text": Environment().from_string("Mail: {{ g }}").render(g=greeting)}, []  # noqa: S701


# 7. path traversal
def attachment(ident: str, q: dict[str, str], body: Any) -> Reply:
    try:
        with open(os.path.join(FILES, q.get("file", "intro.txt")), encoding="utf-8") as handle:
            return 200, {"content": handle.read(20_000)}, []
    except (OSError, UnicodeDecodeError) as exc:
        return _error(exc, 404)


def safe_attachment(ident: str, q: dict[str, str], body: Any) -> Reply:
    name = os.path.basename(q.get("file", "intro.txt"))
    try:
        with open(os.path.join(FILES, name), encoding="utf-8") as handle:
            return 200, {"content": handle.read(20_000)}, []
    except OSError:
        return 404, {"error": "not found"}, []


# 8. SSRF: the webhook URL is fetched
def webhook(ident: str, q: dict[str, str], body: Any) -> Reply:
    url = str((body or {}).get("callback_url", "")) if isinstance(body, dict) else ""
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310
            return 200, {"status": answer.status}, []
    except Exception as exc:
        return 502, {"error": str(exc)[:200]}, []


def safe_webhook(ident: str, q: dict[str, str], body: Any) -> Reply:
    url = str((body or {}).get("callback_url", "")) if isinstance(body, dict) else ""
    if not url.startswith("https://hooks.example.test/"):
        return 400, {"error": "callback must be on hooks.example.test"}, []
    return 202, {"queued": url}, []


# 9. XXE: an XML import parsed with external entities on
class _Collect(xml.sax.handler.ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def characters(self, content: str) -> None:
        self.text.append(content)


def import_xml(ident: str, q: dict[str, str], body: Any) -> Reply:
    parser = xml.sax.make_parser()  # noqa: S317 - the planted vulnerability
    parser.setFeature(xml.sax.handler.feature_external_ges, True)
    handler = _Collect()
    parser.setContentHandler(handler)
    try:
        parser.parse(io.BytesIO(body if isinstance(body, bytes) else b""))
    except Exception as exc:
        return _error(exc, 400)
    return 200, {"imported": "".join(handler.text)[:2000]}, []


def safe_import_xml(ident: str, q: dict[str, str], body: Any) -> Reply:
    parser = xml.sax.make_parser()  # noqa: S317 - external entities stay off (the default)
    handler = _Collect()
    parser.setContentHandler(handler)
    try:
        parser.parse(io.BytesIO(body if isinstance(body, bytes) else b""))
    except Exception:
        return 400, {"error": "bad xml"}, []
    return 200, {"imported": "".join(handler.text)[:2000]}, []


# 10. XPath injection (lxml)
def role(ident: str, q: dict[str, str], body: Any) -> Reply:
    login = q.get("login", "ada")
    try:
        found = _DIRECTORY.xpath(f"//person[login/text()='{login}']/role/text()")
    except etree.XPathError as exc:
        return _error(exc)
    return 200, {"roles": [str(r) for r in found]}, []  # type: ignore[union-attr]


def safe_role(ident: str, q: dict[str, str], body: Any) -> Reply:
    found = _DIRECTORY.xpath("//person[login/text()=$l]/role/text()", l=q.get("login", "ada"))
    return 200, {"roles": [str(r) for r in found]}, []  # type: ignore[union-attr]


# 11. LDAP filter injection (a small filter check with the error of a real directory library)
def _valid_filter(text: str) -> bool:
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
            if text[index + 1 : index + 2] == ")":
                return False  # an empty component
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def directory(ident: str, q: dict[str, str], body: Any) -> Reply:
    value = q.get("cn", "ada")
    if not _valid_filter(f"(&(objectClass=person)(cn={value}))"):
        return 500, {"error": "ldap3.core.exceptions.LDAPInvalidFilterError", "filter": "bad"}, []
    wanted = re.escape(value).replace(r"\*", ".*")
    return 200, [p for p in _PEOPLE if re.fullmatch(wanted, p["cn"])], []


def safe_directory(ident: str, q: dict[str, str], body: Any) -> Reply:
    value = q.get("cn", "ada")
    return 200, [p for p in _PEOPLE if p["cn"] == value], []


# 12. CRLF injection: the export's file name goes into a header as it is
def export(ident: str, q: dict[str, str], body: Any) -> Reply:
    name = q.get("filename", "users.csv")
    return 200, "id,name\n1,ada\n", [("Content-Disposition", f"attachment; filename={name}")]


def safe_export(ident: str, q: dict[str, str], body: Any) -> Reply:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", q.get("filename", "users.csv"))
    return 200, "id,name\n1,ada\n", [("Content-Disposition", f"attachment; filename={name}")]


# 13. reflected XSS: an HTML preview of a message
def preview(ident: str, q: dict[str, str], body: Any) -> Reply:
    return (
        200,
        f"<html><body><h1>{q.get('subject', '')}</h1></body></html>",
        [("Content-Type", "text/html; charset=utf-8")],
    )


def safe_preview(ident: str, q: dict[str, str], body: Any) -> Reply:
    import html

    return (
        200,
        f"<html><body><h1>{html.escape(q.get('subject', ''))}</h1></body></html>",
        [("Content-Type", "text/html; charset=utf-8")],
    )


# 14. open redirect after an OAuth-like callback
def sso(ident: str, q: dict[str, str], body: Any) -> Reply:
    return 302, {"redirect": True}, [("Location", q.get("return_to", "/"))]


def safe_sso(ident: str, q: dict[str, str], body: Any) -> Reply:
    target = q.get("return_to", "/")
    if not target.startswith("/") or target.startswith("//") or not target.isprintable():
        target = "/"  # local paths only, and no CR LF into the header
    return 302, {"redirect": True}, [("Location", target)]


Handler = Callable[[str, dict[str, str], Any], Reply]
ROUTES: dict[tuple[str, str], tuple[Handler, Handler]] = {
    ("GET", "/api/users/{id}"): (user, safe_user),
    ("GET", "/api/users"): (users_by_name, safe_users_by_name),
    ("GET", "/api/invoices"): (invoices, safe_invoices),
    ("POST", "/api/notes"): (add_note, safe_add_note),
    ("POST", "/api/diagnostics"): (diagnose, safe_diagnose),
    ("POST", "/api/mail/render"): (render, safe_render),
    ("GET", "/api/attachments"): (attachment, safe_attachment),
    ("POST", "/api/webhooks"): (webhook, safe_webhook),
    ("POST", "/api/import"): (import_xml, safe_import_xml),
    ("GET", "/api/roles"): (role, safe_role),
    ("GET", "/api/directory"): (directory, safe_directory),
    ("GET", "/api/export"): (export, safe_export),
    ("GET", "/api/mail/preview"): (preview, safe_preview),
    ("GET", "/api/sso/callback"): (sso, safe_sso),
}
EXAMPLES: dict[str, dict[str, Any]] = {
    "/api/users": {"query": {"name": "ada"}},
    "/api/invoices": {"query": {"owner": 1}},
    "/api/notes": {"body": {"title": "hello", "body": "first note"}},
    "/api/diagnostics": {"body": {"host": "db.internal"}},
    "/api/mail/render": {"body": {"greeting": "Dear customer"}},
    "/api/attachments": {"query": {"file": "intro.txt"}},
    "/api/webhooks": {"body": {"callback_url": "https://hooks.example.test/x"}},
    "/api/import": {"xml": True},
    "/api/roles": {"query": {"login": "ada"}},
    "/api/directory": {"query": {"cn": "ada"}},
    "/api/export": {"query": {"filename": "users.csv"}},
    "/api/mail/preview": {"query": {"subject": "hello"}},
    "/api/sso/callback": {"query": {"return_to": "/api/users"}},
}


def openapi() -> dict[str, Any]:
    """Both the vulnerable operations and their safe twins under /safe."""
    paths: dict[str, Any] = {}
    for prefix in ("", "/safe"):
        for (method, path), _ in ROUTES.items():
            example = EXAMPLES.get(path, {})
            operation: dict[str, Any] = {"responses": {"200": {"description": "ok"}}}
            parameters = [
                {"name": name, "in": "query", "schema": {"type": type(value).__name__.replace(
                    "int", "integer").replace("str", "string")}, "example": value}
                for name, value in example.get("query", {}).items()
            ]  # fmt: skip
            if "{id}" in path:
                parameters.append(
                    {"name": "id", "in": "path", "required": True,
                     "schema": {"type": "integer"}, "example": 1}
                )  # fmt: skip
            if parameters:
                operation["parameters"] = parameters
            if "body" in example:
                operation["requestBody"] = {
                    "content": {"application/json": {"example": example["body"]}}
                }
            if example.get("xml"):
                operation["requestBody"] = {
                    "content": {"application/xml": {"schema": {"type": "string"}}}
                }
            paths.setdefault(prefix + path, {})[method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "held-out API", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    }


def _route(method: str, path: str) -> tuple[Handler, str] | None:
    safe = path.startswith("/safe/")
    bare = path[5:] if safe else path
    for (route_method, template), handlers in ROUTES.items():
        if route_method != method:
            continue
        pattern = "^" + re.escape(template).replace(r"\{id\}", "([^/]+)") + "$"
        match = re.match(pattern, bare)
        if match:
            return handlers[1 if safe else 0], (match.group(1) if match.groups() else "")
    return None


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
    if path == "/openapi.json":
        return _send(start_response, 200, openapi(), [])
    if environ.get("HTTP_AUTHORIZATION", "") != f"Bearer {TOKEN}":
        return _send(start_response, 401, {"error": "missing or wrong bearer token"},
                     [("WWW-Authenticate", "Bearer")])  # fmt: skip
    routed = _route(method, path)
    if routed is None:
        return _send(start_response, 404, {"error": "no such operation"}, [])
    handler, ident = routed
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    body: Any = raw
    if "json" in environ.get("CONTENT_TYPE", ""):
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return _send(start_response, 400, {"error": "bad json"}, [])
    status, payload, headers = handler(ident, query, body)
    return _send(start_response, status, payload, headers)


def _send(
    start_response: StartResponse, status: int, payload: Any, headers: list[tuple[str, str]]
) -> list[bytes]:
    reasons = {200: "OK", 201: "Created", 202: "Accepted", 302: "Found", 400: "Bad Request",
               401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error",
               502: "Bad Gateway"}  # fmt: skip
    if isinstance(payload, str):
        data = payload.encode()
        if not any(name == "Content-Type" for name, _ in headers):
            headers = [*headers, ("Content-Type", "text/csv")]
    else:
        data = json.dumps(payload).encode()
        headers = [*headers, ("Content-Type", "application/json")]
    start_response(
        f"{status} {reasons.get(status, 'OK')}", [*headers, ("Content-Length", str(len(data)))]
    )
    return [data]
