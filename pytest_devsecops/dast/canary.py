"""The DAST negative control: a built-in probe page with planted problems, served on loopback
and scanned each run. If the engine does not flag it, the real scan's silence means nothing."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from . import probe_sql, probe_xss
from .app import serve_wsgi
from .engine import BuiltinEngine
from .http import HttpClient
from .interface import DastOptions
from .points import query_points
from .probing import Probing
from .scope import Scope, resolve_scope

PASSIVE = {"10038-1", "10021"}  # no CSP, no nosniff
ACTIVE = {"40012", "40018"}  # a reflected XSS, an error-based SQL injection


def probe_page(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    term = query.get("q", "")
    if environ.get("PATH_INFO") == "/find":
        shown = f"<p>{term}</p>"  # reflected without escaping: planted
    elif environ.get("PATH_INFO") == "/item":
        item = query.get("id", "1")
        shown = (
            f'<pre>sqlite3.OperationalError: unrecognized token: "{html.escape(item)}"</pre>'
            if not item.isdigit()
            else "<p>item</p>"
        )
    else:
        shown = "<a href='/find?q=x'>find</a> <a href='/item?id=1'>item</a>"
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [f"<html><body>{shown}</body></html>".encode()]


def check(active: bool) -> str:
    """Empty when the engine flags every planted problem; otherwise what it missed."""
    try:
        with serve_wsgi(probe_page) as base:
            scope = resolve_scope(base)
            report = BuiltinEngine().scan(scope, base + "/", DastOptions(max_pages=5))
            flagged = {alert.rule for alert in report.alerts}
            if active:
                flagged |= _probed(scope, base)
    except Exception as exc:
        return f"the DAST negative control could not run: {type(exc).__name__}: {exc}"
    return missed(flagged, PASSIVE | (ACTIVE if active else set()))


def _probed(scope: Scope, base: str) -> set[str]:
    """The scan's own probes, on the planted inputs only (fast: about ten requests)."""
    client = HttpClient(scope, timeout=10, max_requests=200)
    flagged = set()
    try:
        for path, name, probe in (
            ("/find?q=x", "q", probe_xss.reflected),
            ("/item?id=1", "id", probe_sql.error_based),
        ):
            point = next(p for p in query_points(base + path) if p.name == name)
            flagged |= {alert.rule for alert in probe(Probing(client, point))}
    finally:
        client.close()
    return flagged


def missed(flagged: set[str], expected: set[str]) -> str:
    lost = sorted(expected - flagged)
    if not lost:
        return ""
    return (
        "the DAST negative control (a built-in probe page with planted problems) was not "
        f"flagged: {', '.join(lost)} did not fire, so this scan's results cannot be trusted"
    )
