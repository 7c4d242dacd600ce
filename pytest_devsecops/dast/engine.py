"""The built-in DAST engine: crawl the origin, run passive rules, then active probes if asked."""

from __future__ import annotations

import time

from . import active, passive, rules
from .crawler import CrawlLimits, Page, crawl
from .http import HttpClient, RequestBudgetExceeded
from .interface import DastOptions, DastReport, PageVisit
from .scope import Scope


class BuiltinEngine:
    """Needs nothing installed; emits ZAP's rule ids so baselines carry over to ZAP."""

    name = "builtin"

    def scan(self, scope: Scope, start: str, options: DastOptions) -> DastReport:
        client = HttpClient(scope, timeout=options.timeout, max_requests=options.max_requests)
        started = time.monotonic()
        try:
            limits = CrawlLimits(options.max_pages, options.max_depth, options.max_seconds)
            result = crawl(client, start, limits, options.paths)
            https = scope.scheme == "https"
            alerts = [
                alert
                for page in result.pages
                for alert in passive.check(page.response, https, page.document)
            ]
            stopped = result.stopped
            if options.active:
                remaining = max(options.max_seconds - (time.monotonic() - started), 1.0)
                client.recorded = []
                active_alerts, active_stop = _probe(client, result.pages, options, remaining)
                alerts += active_alerts
                # Site-wide rules also judge the probes' answers (cookies set only on a POST,
                # say), as ZAP's passive scanner sees active-scan traffic. Body rules do not:
                # an error page provoked by our own payload is the active rule's business.
                alerts += [
                    alert
                    for response in client.recorded
                    for alert in passive.check(response, https)
                    if rules.CATALOG[alert.rule].systemic
                ]
                stopped = stopped or active_stop
            visits = tuple(
                PageVisit(
                    p.response.method,
                    p.response.url,
                    p.response.status,
                    p.response.error,
                    len(p.response.body.strip()),
                )
                for p in result.pages
            )
            return DastReport(
                self.name,
                start,
                visits,
                tuple(alerts),
                result.out_of_scope,
                stopped,
                client.requests_made,
            )
        finally:
            client.close()


def _probe(
    client: HttpClient, pages: tuple[Page, ...], options: DastOptions, seconds: float
) -> tuple[list[passive.Alert], str]:
    deadline = time.monotonic() + seconds
    alerts: list[passive.Alert] = []
    seen: set[tuple[str, str, str]] = set()
    for page in pages:
        for point in active.insertion_points(
            page.requested or page.response.url, page.document.forms
        ):
            key = (point.method, point.url, point.name)
            if key in seen:
                continue
            seen.add(key)
            budget_end = client.requests_made + options.requests_per_param
            for probe in active.PROBES:
                if time.monotonic() > deadline:
                    return (
                        alerts,
                        f"time limit {options.max_seconds:g}s reached during active probes",
                    )
                if client.requests_made >= budget_end:
                    break  # this parameter has had its share of requests
                try:
                    alerts.extend(probe(client, point))
                except RequestBudgetExceeded as exc:
                    return alerts, str(exc)
    return alerts, ""
