"""Passive rules: what a response itself gives away, checked without sending anything."""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from . import html
from .http import Response
from .textscan import Anchored

_VERSION = re.compile(r"\d+\.\d+")
_PRIVATE_IP = re.compile(
    r"(?<![\d.])(10\.\d{1,3}\.\d{1,3}\.\d{1,3}|172\.(?:1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}"
    r"|192\.168\.\d{1,3}\.\d{1,3})(?![\d.])"
)
# A stack trace is a disclosure on any page; an error *message* only on a server error (a help
# page that quotes "sqlite3.OperationalError" is documentation, not a leak).
_TRACE_PATTERNS = (
    # Bounded repetitions, run near literal anchors only: bodies are untrusted (no ReDoS).
    Anchored(re.compile(r"Traceback \(most recent call last\)"), ("traceback (most",)),
    Anchored(re.compile(r"\n[ \t]{1,40}at [\w.$]{1,300}\(\w{1,200}\.java:\d{1,7}\)"), (".java:",)),
    Anchored(
        re.compile(r"(?i)\b(?:Fatal error|Parse error):\s[^\n]{0,300}?\bon line \d{1,7}"),
        ("fatal error:", "parse error:"),
    ),
)
_MESSAGE_PATTERNS = (
    Anchored(
        re.compile(r"\b(?:sqlite3|psycopg2?|pymysql|MySQLdb)\.\w{0,100}Error\b"),
        ("sqlite3.", "psycopg", "pymysql.", "mysqldb."),
    ),
    Anchored(re.compile(r"\bjava\.(?:\w{1,100}\.){0,20}\w{0,100}Exception\b"), ("exception",)),
    Anchored(re.compile(r"(?i)Microsoft OLE DB Provider"), ("microsoft ole db provider",)),
)
_DEBUG_PATTERNS = (
    Anchored(re.compile(r"Werkzeug Debugger"), ("werkzeug debugger",)),
    Anchored(re.compile(r"(?i)<title>[^<]{0,300}\bDebug(?:ger)?\b"), ("<title>",)),
    # Django 3+ writes a typographic apostrophe (U+2019), older versions a straight one.
    Anchored(
        re.compile(
            r"You(?:'|\u2019|&#x27;|&#39;|&rsquo;)re seeing this error because you have "
            r"<code>DEBUG = True</code>"
        ),
        ("debug = true",),
    ),
    Anchored(
        re.compile(r"(?i)\bDebug information\b|\bstack trace:"),
        ("debug information", "stack trace:"),
    ),
)
_LISTING = re.compile(r"(?i)<title>\s{0,100}(?:Index of /|Directory listing for /)")
_CSRF_NAMES = re.compile(r"(?i)csrf|xsrf|token|authenticity|nonce|__requestverification")


@dataclasses.dataclass(frozen=True)
class Alert:
    """One rule firing on one request; `evidence` is what was seen (redacted by the caller)."""

    rule: str  # ZAP alert ref
    method: str
    url: str
    param: str = ""
    evidence: str = ""
    confidence: str = "Medium"
    attack: str = ""
    other: str = ""
    # Set by engines that report rules outside our catalog (ZAP): the alert's own metadata.
    name: str = ""
    risk: str = ""
    cwe: int = 0
    solution: str = ""
    plugin_id: int = 0


@dataclasses.dataclass
class Seen:
    """What the rules know besides the response: HTTPS or not, and its parsed HTML (parsed at
    most once, and not at all when the crawler already did)."""

    https: bool
    response: Response
    parsed: html.Document | None = None

    @functools.cached_property
    def document(self) -> html.Document:
        return self.parsed or html.parse(self.response.url, self.response.body)


def check(response: Response, https: bool, document: html.Document | None = None) -> list[Alert]:
    """Every passive rule against one response (`document`: its HTML, if already parsed)."""
    if response.error or not response.status:
        return []
    seen = Seen(https, response, document)
    return [alert for rule in _RULES for alert in rule(response, seen)]


def _alert(response: Response, rule: str, **fields: Any) -> Alert:
    return Alert(rule=rule, method=response.method, url=response.url, **fields)


def _csp(response: Response, seen: Seen) -> Iterator[Alert]:
    if (
        response.is_html
        and response.status < 400
        and not response.header("Content-Security-Policy")
    ):
        yield _alert(response, "10038-1", confidence="High")


def _clickjacking(response: Response, seen: Seen) -> Iterator[Alert]:
    if not response.is_html or response.status >= 400:
        return
    csp = response.header("Content-Security-Policy") or ""
    if "frame-ancestors" not in csp and not response.header("X-Frame-Options"):
        yield _alert(response, "10020-1", param="x-frame-options")


def _content_type_options(response: Response, seen: Seen) -> Iterator[Alert]:
    if (
        response.status < 400
        and (response.header("X-Content-Type-Options") or "").lower() != "nosniff"
    ):
        yield _alert(response, "10021", param="x-content-type-options")


def _hsts(response: Response, seen: Seen) -> Iterator[Alert]:
    if seen.https and not response.header("Strict-Transport-Security"):
        yield _alert(response, "10035-1", confidence="High")


def _cookies(response: Response, seen: Seen) -> Iterator[Alert]:
    for cookie in response.all_headers("Set-Cookie"):
        name = cookie.split("=", 1)[0].strip()
        attributes = {
            part.strip().split("=", 1)[0].lower(): part.strip() for part in cookie.split(";")[1:]
        }
        if _is_deletion(cookie):
            continue
        evidence = f"Set-Cookie: {name}"
        if "httponly" not in attributes:
            yield _alert(response, "10010", param=name, evidence=evidence)
        if "secure" not in attributes and seen.https:  # as ZAP: a Secure flag matters on HTTPS
            yield _alert(response, "10011", param=name, evidence=evidence)
        samesite = attributes.get("samesite", "")
        if not samesite:
            yield _alert(response, "10054-1", param=name, evidence=evidence)
        elif samesite.split("=", 1)[-1].strip().lower() == "none":
            yield _alert(response, "10054-2", param=name, evidence=evidence)


def _is_deletion(cookie: str) -> bool:
    lowered = cookie.lower()
    return "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered


def _server(response: Response, seen: Seen) -> Iterator[Alert]:
    server = response.header("Server") or ""
    if _VERSION.search(server):
        yield _alert(response, "10036-2", evidence=server, confidence="High")


def _powered_by(response: Response, seen: Seen) -> Iterator[Alert]:
    for value in response.all_headers("X-Powered-By"):
        yield _alert(response, "10037", evidence=f"X-Powered-By: {value}")


def _application_error(response: Response, seen: Seen) -> Iterator[Alert]:
    patterns = _TRACE_PATTERNS + (_MESSAGE_PATTERNS if response.status >= 500 else ())
    for pattern in patterns:
        match = pattern.search(response.body)
        if match:
            # ZAP rates the disclosure lower when the server admits an error (HTTP 500).
            yield _alert(
                response,
                "90022",
                evidence=match.group(0)[:100],
                confidence="Medium",
                other="500" if response.status == 500 else "",
            )
            return


def _debug_messages(response: Response, seen: Seen) -> Iterator[Alert]:
    for pattern in _DEBUG_PATTERNS:
        match = pattern.search(response.body)
        if match:
            yield _alert(response, "10023", evidence=match.group(0)[:100])
            return


def _cors(response: Response, seen: Seen) -> Iterator[Alert]:
    if (response.header("Access-Control-Allow-Origin") or "").strip() == "*":
        yield _alert(response, "10098", evidence="Access-Control-Allow-Origin: *")


def _csrf(response: Response, seen: Seen) -> Iterator[Alert]:
    if not response.is_html:
        return
    origin = urlsplit(response.url)[:2]
    for form in seen.document.forms:
        if form.method != "POST" or urlsplit(form.action)[:2] != origin:
            continue  # a form posting to another site is not the app's form
        names = [name for name, kind, _ in form.fields]
        if not any(_CSRF_NAMES.search(name) for name in names):
            yield _alert(
                response,
                "10202",
                evidence=f"<form method=POST action={form.action}>",
                confidence="Low",
            )


def _directory_listing(response: Response, seen: Seen) -> Iterator[Alert]:
    match = _LISTING.search(response.body[:5000]) if response.status == 200 else None
    if match:
        yield _alert(response, "10033", evidence=match.group(0))


def _private_ip(response: Response, seen: Seen) -> Iterator[Alert]:
    for match in _PRIVATE_IP.finditer(response.body[:500_000]):
        if _is_private(match.group(1)):
            yield _alert(response, "2", evidence=match.group(1))
            return


def _is_private(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).is_private
    except ValueError:  # e.g. 10.999.1.1 matched the shape but is no address
        return False


_RULES = (
    _csp,
    _clickjacking,
    _content_type_options,
    _hsts,
    _cookies,
    _server,
    _powered_by,
    _application_error,
    _debug_messages,
    _cors,
    _csrf,
    _directory_listing,
    _private_ip,
)

# The site-wide rules (headers, cookies): all that is judged on the active probes' answers.
_SYSTEMIC_RULES = (
    _csp,
    _clickjacking,
    _content_type_options,
    _hsts,
    _cookies,
    _server,
    _powered_by,
    _cors,
)


def check_systemic(response: Response, https: bool) -> list[Alert]:
    """Only the site-wide rules, without parsing the body (cheap enough for every probe)."""
    if response.error or not response.status:
        return []
    seen = Seen(https, response, html.Document())
    return [alert for rule in _SYSTEMIC_RULES for alert in rule(response, seen)]
