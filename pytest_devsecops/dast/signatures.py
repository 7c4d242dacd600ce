"""Error messages attributed to their source (a database engine, a shell, a template engine, an
XML parser): each is specific enough not to match another source's messages."""

from __future__ import annotations

import dataclasses
import html
import re

WINDOW = 300_000  # characters of a body searched: every pattern is linear and bounded


@dataclasses.dataclass(frozen=True)
class Signature:
    """One error message and where it comes from: `kind` (sql, shell, template, xml), `source`."""

    kind: str
    source: str
    pattern: re.Pattern[str]


def _sig(kind: str, source: str, pattern: str) -> Signature:
    return Signature(kind, source, re.compile(pattern))


SIGNATURES: tuple[Signature, ...] = (
    # SQLite (Python's sqlite3, Ruby, PHP PDO)
    _sig("sql", "SQLite", r"sqlite3\.OperationalError|SQLite3::SQLException|SQLITE_ERROR"),
    _sig("sql", "SQLite", r'unrecognized token: "[^"\n]{0,80}"'),
    _sig("sql", "SQLite", r'near "[^"\n]{0,80}": syntax error'),
    # PostgreSQL: its own wording, with the "at or near" position it always gives
    _sig("sql", "PostgreSQL", r"unterminated quoted string at or near"),
    _sig("sql", "PostgreSQL", r'syntax error at or near "[^"\n]{0,80}"'),
    _sig("sql", "PostgreSQL", r"psycopg2?\.errors\.\w{1,60}|PG::SyntaxError|org\.postgresql\.util"),
    # MySQL / MariaDB
    _sig("sql", "MySQL", r"You have an error in your SQL syntax|MySQLSyntaxErrorException"),
    _sig(
        "sql", "MySQL", r"Warning: mysqli?_\w{1,40}\(|pymysql\.err\.\w{1,40}|MySQLdb\.\w{0,20}Error"
    ),
    # Microsoft SQL Server
    _sig("sql", "SQL Server", r"Unclosed quotation mark after the character string"),
    _sig("sql", "SQL Server", r"Incorrect syntax near '[^'\n]{0,80}'|Microsoft OLE DB Provider"),
    # Oracle
    _sig("sql", "Oracle", r"ORA-\d{5}:|quoted string not properly terminated"),
    # Driver-level wrappers that only databases raise
    _sig("sql", "SQL driver", r"SQLSTATE\[\w{5}\]|org\.hibernate\.\w{1,60}Exception"),
    # POSIX shells given an unbalanced quote (dash, bash, zsh)
    _sig(
        "shell", "sh", r"Syntax error: Unterminated quoted string|Syntax error: \"[^\"\n]{1,20}\""
    ),
    _sig("shell", "bash", r"unexpected EOF while looking for matching [`'\"]"),
    _sig("shell", "bash", r"syntax error near unexpected token [`']"),
    _sig("shell", "zsh", r"zsh: unmatched [`'\"]"),
    # Template engines
    _sig("template", "Jinja2", r"jinja2\.exceptions\.\w{1,40}|TemplateSyntaxError: unexpected"),
    _sig(
        "template",
        "Django",
        r"django\.template\.exceptions\.\w{1,40}|Could not parse the remainder",
    ),
    _sig("template", "Mako", r"mako\.exceptions\.\w{1,40}"),
    # XML parsers
    _sig(
        "xml", "Python XML", r"xml\.etree\.ElementTree\.ParseError|xml\.parsers\.expat\.ExpatError"
    ),
    _sig("xml", "lxml", r"lxml\.etree\.XMLSyntaxError|XMLSyntaxError: "),
    _sig("xml", "XML parser", r"not well-formed \(invalid token\)|XML declaration allowed only"),
    # XPath and LDAP libraries (their own injection classes, not SQL)
    _sig("xpath", "XPath", r"lxml\.etree\.XPathEvalError|XPathEvalError: |XPathException"),
    _sig("xpath", "XPath", r"javax\.xml\.xpath\.\w{1,40}|SimpleXMLElement::xpath\(\)"),
    _sig("ldap", "LDAP", r"ldap3\.core\.exceptions\.\w{1,60}|LDAPInvalidFilterError"),
    _sig("ldap", "LDAP", r"Bad search filter|LDAP filter|javax\.naming\.directory"),
)


@dataclasses.dataclass(frozen=True)
class Match:
    """An error message seen in a body: which signature, and the text it matched."""

    kind: str
    source: str
    text: str


def readable(body: str) -> str:
    """The body's first WINDOW characters as a reader sees them: templates escape the quotes of
    an error message they show (`unrecognized token: &#34;&#39;&#34;`), the signatures do not."""
    window = body[:WINDOW]
    return html.unescape(window) if "&" in window else window


def find(body: str) -> list[Match]:
    """Every signature that matches the body's first WINDOW characters."""
    window = readable(body)
    found = []
    for signature in SIGNATURES:
        hit = signature.pattern.search(window)
        if hit:
            found.append(Match(signature.kind, signature.source, hit.group(0)[:200]))
    return found


def new_errors(body: str, reference: str) -> list[Match]:
    """Errors in `body` whose text does not appear in the reference answer."""
    seen = readable(reference)
    return [match for match in find(body) if match.text not in seen]


def attributed(body: str, reference: str, kind: str) -> Match | None:
    """A new error of `kind`, unless the page also shows a new error of another kind (a shell
    quoting error is command injection's business, not SQL injection's)."""
    matches = new_errors(body, reference)
    if any(match.kind != kind for match in matches):
        return None
    return next((match for match in matches if match.kind == kind), None)
