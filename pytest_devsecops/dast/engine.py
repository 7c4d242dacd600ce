"""The built-in DAST engine: log in if asked, crawl the origin, run passive rules, then active
probes if asked."""

from __future__ import annotations

import contextlib
import time

from . import active_scan, api_scan, passive, rules
from .auth import AuthError, Session
from .crawler import CrawlLimits, crawl
from .http import HttpClient
from .interface import DastOptions, DastReport, PageVisit
from .oob import listening
from .openapi import OpenApiError
from .scope import Scope


class BuiltinEngine:
    """Needs nothing installed; emits ZAP's rule ids so baselines carry over to ZAP."""

    name = "builtin"

    def scan(self, scope: Scope, start: str, options: DastOptions) -> DastReport:
        client = HttpClient(scope, timeout=options.timeout, max_requests=options.max_requests)
        started = time.monotonic()
        session = Session(client, options.auth, start)
        try:
            try:
                session.begin()
            except AuthError as exc:
                return DastReport(self.name, start, error=f"authentication failed: {exc}")
            limits = CrawlLimits(
                options.max_pages, options.max_depth, options.max_seconds, options.exclude
            )
            api = None
            found_at = ""
            notes: list[str] = []
            if options.openapi_url or options.openapi_file:
                try:
                    api = api_scan.load(
                        options.openapi_url, options.openapi_file, start, client, options.exclude
                    )
                except OpenApiError as exc:
                    return DastReport(self.name, start, error=str(exc))
            else:
                # No description named: use one the app publishes where frameworks put it.
                api, found_at = api_scan.discover(start, client, options.exclude)
                if api is not None:
                    notes.append(f"OpenAPI description found at {found_at}")
                if api is not None and not scope.loopback:
                    # Nobody named this description, and the host is not this machine (a
                    # shared staging server, say): its POST, PUT and DELETE operations are not
                    # sent unasked.
                    api.operations = [op for op in api.operations if op.method == "GET"]
                    notes.append(
                        "only its GET operations used on a host that is not loopback "
                        "(set devsecops_openapi to use all of them)"
                    )
            seeds = options.paths + (api.seeds if api else ())
            if options.auth.login is not None:
                # The login page is part of the app (ZAP's context includes it): its form is
                # probed like any other, even when no page behind the login links to it.
                seeds += (options.auth.login.url,)
            result = crawl(client, start, limits, seeds, session)
            if api is not None:
                api_scan.send_all(api, client, result.pages)
                if found_at and api.unreachable:
                    # A description nobody named is a bonus, not a contract: its operations
                    # that did not answer are noted, not coverage gaps that fail the status.
                    notes.append(
                        f"{len(api.unreachable)} operation(s) of {found_at} did not answer "
                        "below 400 (set devsecops_openapi to hold the scan to them)"
                    )
                    api.unreachable.clear()
            https = scope.scheme == "https"
            alerts = [
                alert
                for page in result.pages
                for alert in passive.check(page.response, https, page.document)
            ]
            alerts += [
                alert
                for answer in (api.answers if api else [])
                for alert in passive.check(answer, https)
            ]
            stopped = result.stopped
            if options.active:
                remaining = max(options.max_seconds - (time.monotonic() - started), 1.0)
                client.recorded = []
                with listening() as listener:
                    active_alerts, active_stop = active_scan.run(
                        client, result.pages, options, remaining, listener, api, session
                    )
                alerts += active_alerts
                # Site-wide rules also judge the probes' answers (cookies set only on a POST,
                # say), as ZAP's passive scanner sees active-scan traffic. Body rules do not:
                # an error page provoked by our own payload is the active rule's business.
                alerts += [
                    alert
                    for response in client.recorded
                    for alert in passive.check_systemic(response, https)
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
                    p.response.redirected_from,
                    any(kind == "password" for f in p.document.forms for _, kind, _ in f.fields),
                    options.auth.configured and not session.lost(p.response),
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
                authenticated=_how(options, session),
                unreachable=tuple(api.unreachable) if api else (),
                notes=tuple(notes),
            )
        finally:
            with contextlib.suppress(Exception):
                client.close()


def _how(options: DastOptions, session: Session) -> str:
    auth = options.auth
    if auth.login is not None:
        return f"form login at {auth.login.url} ({session.logins} login(s))"
    if auth.headers or auth.cookies:
        names = [name for name, _ in auth.headers] + [f"cookie {name}" for name, _ in auth.cookies]
        return f"credentials from devsecops_dast_auth ({', '.join(names)})"
    if auth.header_env:
        names = [f"{name} from ${env}" for name, env in auth.header_env]
        return f"headers from devsecops_dast_header_env ({', '.join(names)})"
    return ""
