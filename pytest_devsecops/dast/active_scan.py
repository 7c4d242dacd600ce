"""The active phase: choose the insertion points of the crawled pages, run every probe on each
within its budget, then the site-wide probes and the stored-XSS re-crawl."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

from . import active, api_scan, probe_site
from .api_scan import Api
from .auth import SESSION_LOST, AuthError, Session
from .crawler import Page, excluded
from .findings import path_template
from .http import HttpClient, RequestBudgetExceeded, Response
from .interface import DastOptions
from .oob import Listener
from .passive import Alert
from .points import CSRF_NAMES, InsertionPoint, request_points
from .probing import Baseline, Probing, normalised

_REQUEST_POINT_TEMPLATES = 50  # distinct page templates whose cookies/headers/paths are probed
_QUIET = ("cookie", "header", "path")  # inputs most pages ignore: probed only if they matter


class _TimeUp(Exception):
    pass


def choose_points(
    client: HttpClient,
    pages: tuple[Page, ...],
    exclude: tuple[str, ...],
    session_cookies: frozenset[str] = frozenset(),
) -> list[InsertionPoint]:
    """Every insertion point once; of two copies of one form field, the one from a page whose
    form carries a CSRF token wins (a copy without it has every probe refused). The cookies of
    an authenticated session are not probed: a payload there only logs the scan out."""
    chosen: dict[tuple[str, str, str, str], InsertionPoint] = {}
    templates: set[str] = set()
    cookies = sorted({c.name for c in client.session.cookies} - session_cookies)
    for page in pages:
        url = page.requested or page.response.url
        candidates = list(active.insertion_points(url, page.document.forms))
        template = path_template(url)
        if template not in templates and len(templates) < _REQUEST_POINT_TEMPLATES:
            templates.add(template)
            candidates += list(request_points(url, cookies))
        for point in candidates:
            if excluded(point.url, exclude):
                continue
            key = (point.where, point.method, point.url, point.name)
            old = chosen.get(key)
            if old is None or (_has_token(point) and not _has_token(old)):
                chosen[key] = point
    return list(chosen.values())


def _has_token(point: InsertionPoint) -> bool:
    return any(CSRF_NAMES.search(name) and value for name, value in point.params)


def run(
    client: HttpClient,
    pages: tuple[Page, ...],
    options: DastOptions,
    seconds: float,
    listener: Listener | None,
    api: Api | None = None,
    session: Session | None = None,
) -> tuple[list[Alert], str]:
    deadline = time.monotonic() + seconds
    alerts: list[Alert] = []
    stopped = ""
    try:
        points = choose_points(
            client, pages, options.exclude, session.cookies if session else frozenset()
        )
        if api is not None:
            points += list(api_scan.points(api))
            alerts += _check_time(deadline, api_scan.xxe(api, client, listener))
        for point in points:
            alerts += _probe_point(client, point, options, listener, deadline, session)
        alerts += _check_time(deadline, probe_site.run(client, pages, options.exclude))
        alerts += _check_time(deadline, stored_xss(client, pages, points, session))
    except RequestBudgetExceeded as exc:
        stopped = str(exc)
    except AuthError as exc:
        stopped = f"{SESSION_LOST} during active probes and logging in again failed: {exc}"
    except _TimeUp:
        stopped = f"time limit {options.max_seconds:g}s reached during active probes"
    if listener is not None:
        alerts += listener.settle()  # fetches of payloads sent to inputs not named like URLs
    return alerts, stopped


def _check_time(deadline: float, alerts: Iterator[Alert]) -> list[Alert]:
    found = []
    for alert in alerts:
        found.append(alert)
        if time.monotonic() > deadline:
            raise _TimeUp
    if time.monotonic() > deadline:
        raise _TimeUp
    return found


def _probe_point(
    client: HttpClient,
    point: InsertionPoint,
    options: DastOptions,
    listener: Listener | None,
    deadline: float,
    session: Session | None = None,
) -> list[Alert]:
    probing = Probing(client, point, options.time_based, listener, session)
    if point.where in _QUIET and not _matters(probing):
        return []
    budget_end = client.requests_made + options.requests_per_param
    alerts: list[Alert] = []
    for probe in active.PROBES:
        if time.monotonic() > deadline:
            raise _TimeUp
        if client.requests_made >= budget_end:
            break  # this parameter has had its share of requests
        for alert in probe(probing):
            alerts.append(alert)
            probing.found.add(alert.rule)
    return alerts


def _matters(probing: Probing) -> bool:
    """Whether the page reacts to this input at all: a marker with quotes is echoed, or changes
    the answer. Most pages ignore most headers; full probes there would only cost time."""
    marker = f"dsm{secrets.token_hex(4)}"
    original = probing.point.original
    answer = probing.send(f"{original}{marker}'\"")
    if marker in answer.body or answer.status != probing.reference.status:
        return True
    again = probing.send(original)
    baseline = Baseline(normalised(probing.reference, original), normalised(again, original))
    return not baseline.same(normalised(answer, f"{original}{marker}'\"", marker))


def stored_xss(
    client: HttpClient,
    pages: tuple[Page, ...],
    points: list[InsertionPoint],
    session: Session | None = None,
) -> Iterator[Alert]:
    """Post a marker through each form field, re-crawl the pages, and where a marker shows up,
    post a breakout and look for it unescaped there (40014)."""
    posted = [point for point in points if point.where == "form"][:50]
    markers = {}
    for point in posted:
        marker = f"dss{secrets.token_hex(4)}"
        Probing(client, point, session=session).send(marker)
        markers[marker] = point
    urls = list(dict.fromkeys(p.response.url for p in pages if not p.response.error))[:100]
    for url in urls:
        body = _get(client, url, session).body
        for marker, point in list(markers.items()):
            if marker not in body:
                continue
            del markers[marker]
            payload = f"<{marker}x/onmouseover=alert(1)>"
            Probing(client, point, session=session).send(payload)
            shown = _get(client, url, session)
            if payload in shown.body and shown.is_html:
                yield Probing(client, point).alert(
                    shown, "40014-1", payload, payload, "Medium", other=f"posted to {point.url}"
                )


def _get(client: HttpClient, url: str, session: Session | None) -> Response:
    """A page fetched while logged in (once more after a login if the session was lost)."""
    response = client.fetch("GET", url)
    if session is not None and session.lost(response):
        session.login()
        response = client.fetch("GET", url)
    return response
