"""Active probes, only when asked: each one sends a payload into one parameter and looks for
proof that cannot be a coincidence. Every probe first fetches a decoy (a harmless random value)
so that a page which always shows the tell-tale text is not reported, and each parameter has a
request budget.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from .html import Form
from .http import HttpClient, Response
from .passive import Alert
from .textscan import Anchored

# Messages databases and their drivers print when a quote breaks a statement.
_SQL_ERRORS = Anchored(
    re.compile(
        r"(?i)("
        r"sqlite3\.OperationalError|unrecognized token|near \"[^\"]{0,200}\": syntax error|"
        r"SQLite3::SQLException|"
        r"unterminated quoted string|syntax error at or near|psycopg2\.errors\.\w+|PG::SyntaxError|"
        r"You have an error in your SQL syntax|MySQLSyntaxErrorException|Warning: mysqli?_|"
        r"Unclosed quotation mark after the character string|Incorrect syntax near|"
        r"ORA-\d{5}|quoted string not properly terminated|SQLSTATE\[|org\.hibernate\.\w+Exception"
        r")"
    ),
    # Run near these only (bodies are untrusted and large; see textscan).
    ("sqlite3", "unrecognized token", "syntax error", "unterminated quoted", "psycopg2.",
     "pg::", "sql syntax", "mysqlsyntax", "warning: mysql", "unclosed quotation",
     "incorrect syntax", "ora-", "quoted string not", "sqlstate[", "org.hibernate."),
)  # fmt: skip
_PASSWD = Anchored(re.compile(r"root:[^:\n]{0,200}:0:0:"), ("root:",))
_TEXT_TYPES = {"text", "search", "textarea", "email", "url", "tel", "hidden", "password", ""}


@dataclasses.dataclass(frozen=True)
class InsertionPoint:
    """One parameter of one request that a probe can put a payload into."""

    method: str
    url: str  # without its query
    params: tuple[tuple[str, str], ...]  # every parameter, with its normal value
    name: str

    def send(self, client: HttpClient, value: str, follow: bool = True) -> Response:
        values = {key: (value if key == self.name else original) for key, original in self.params}
        if self.method == "GET":
            return client.fetch("GET", self.url, params=values, follow=follow)
        return client.fetch(self.method, self.url, data=values, follow=follow)

    @property
    def original(self) -> str:
        return dict(self.params).get(self.name, "")


def insertion_points(url: str, forms: tuple[Form, ...]) -> Iterator[InsertionPoint]:
    """The query parameters of `url`, and the text fields of every form on its page."""
    parts = urlsplit(url)
    query = tuple(parse_qsl(parts.query, keep_blank_values=True))
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    for name, _ in query:
        yield InsertionPoint("GET", bare, query, name)
    for form in forms:
        fields = tuple((name, value or "test") for name, kind, value in form.fields)
        action = urlsplit(form.action)
        action_bare = urlunsplit((action.scheme, action.netloc, action.path, "", ""))
        for name, kind, _ in form.fields:
            if kind in _TEXT_TYPES:
                yield InsertionPoint(form.method, action_bare, fields, name)


Probe = Callable[[HttpClient, InsertionPoint], Iterator[Alert]]


def _alert(
    point: InsertionPoint,
    response: Response,
    rule: str,
    attack: str,
    evidence: str,
    confidence: str = "Medium",
) -> Alert:
    return Alert(
        rule=rule,
        method=point.method,
        url=response.url,
        param=point.name,
        attack=attack,
        evidence=evidence[:200],
        confidence=confidence,
    )


def _decoy(client: HttpClient, point: InsertionPoint) -> Response:
    return point.send(client, f"{point.original}{secrets.token_hex(4)}")


def reflected_xss(client: HttpClient, point: InsertionPoint) -> Iterator[Alert]:
    marker = f"dsx{secrets.token_hex(4)}"
    decoy = _decoy(client, point)
    if marker in decoy.body:
        return
    # A new element, or an event handler breaking out of a quoted attribute value (for apps
    # that escape < and > but not quotes).
    element = f"<{marker} onmouseover=alert(1)>"
    response = point.send(client, element)
    if element in response.body and response.is_html:
        yield _alert(point, response, "40012", element, element, "Medium")
        return
    attribute = f'{point.original}" {marker}="1'
    response = point.send(client, attribute)
    inside_tag = re.search(r'<[^<>]{0,2000}" ' + re.escape(marker) + r'="1', response.body)
    if inside_tag and response.is_html:
        yield _alert(point, response, "40012", attribute, inside_tag.group(0)[-60:], "Medium")


def sql_error(client: HttpClient, point: InsertionPoint) -> Iterator[Alert]:
    decoy = _decoy(client, point)
    if _SQL_ERRORS.search(decoy.body):
        return  # the page shows SQL errors whatever we send: proves nothing
    for quote in ("'", '"'):
        attack = f"{point.original}{quote}"
        response = point.send(client, attack)
        match = _SQL_ERRORS.search(response.body)
        if match:
            # A doubled quote is valid SQL again: if that one does not error, the quote broke it.
            escaped = point.send(client, f"{point.original}{quote}{quote}")
            confidence = "High" if not _SQL_ERRORS.search(escaped.body) else "Low"
            yield _alert(point, response, "40018", attack, match.group(0), confidence)
            return


def path_traversal(client: HttpClient, point: InsertionPoint) -> Iterator[Alert]:
    decoy = _decoy(client, point)
    if _PASSWD.search(decoy.body):
        return
    for attack in (
        "/etc/passwd",
        "../../../../../../../../etc/passwd",
        "....//....//....//etc/passwd",
    ):
        response = point.send(client, attack)
        match = _PASSWD.search(response.body)
        if match:
            yield _alert(point, response, "6-2", attack, match.group(0))
            return


def external_redirect(client: HttpClient, point: InsertionPoint) -> Iterator[Alert]:
    host = f"{secrets.token_hex(5)}.example.invalid"
    for attack in (f"https://{host}/", f"//{host}/"):
        response = point.send(client, attack, follow=False)
        location = response.header("Location") or ""
        refresh = response.header("Refresh") or ""
        if host in urlsplit(location if "//" in location else "").netloc or host in refresh:
            yield _alert(point, response, "20019-1", attack, f"Location: {location or refresh}")
            return


def command_injection(client: HttpClient, point: InsertionPoint) -> Iterator[Alert]:
    marker = f"dsc{secrets.token_hex(3)}"
    a, b = secrets.randbelow(900) + 100, secrets.randbelow(900) + 100
    proof = f"{marker}{a + b}"  # only a shell that ran the command computes this
    decoy = _decoy(client, point)
    if proof in decoy.body:
        return
    for separator in (";", "|", "&&", "\n"):
        attack = f"{point.original}{separator}echo {marker}$(({a}+{b}))"
        response = point.send(client, attack)
        if proof in response.body:
            yield _alert(point, response, "90020", attack, proof, "High")
            return
    attack = f"$(echo {marker}$(({a}+{b})))"
    response = point.send(client, attack)
    if proof in response.body:
        yield _alert(point, response, "90020", attack, proof, "High")


def template_injection(client: HttpClient, point: InsertionPoint) -> Iterator[Alert]:
    a, b = secrets.randbelow(9000) + 1000, secrets.randbelow(9000) + 1000
    proof = str(a * b)  # the product appears only if the template engine evaluated it
    decoy = _decoy(client, point)
    if proof in decoy.body:
        return
    for template in ("{{%d*%d}}", "${%d*%d}", "<%%= %d*%d %%>", "#{%d*%d}"):
        attack = template % (a, b)
        response = point.send(client, attack)
        if proof in response.body:
            yield _alert(point, response, "90035", attack, proof, "High")
            return


PROBES: tuple[Probe, ...] = (
    reflected_xss,
    sql_error,
    path_traversal,
    external_redirect,
    command_injection,
    template_injection,
)
