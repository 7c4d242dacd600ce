"""Passive checks on the project's own test traffic: an HTTP client that records what it sees."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin

import requests

from . import passive
from .http import MAX_BODY, Response
from .scope import Scope


class TrafficLog:
    """Alerts raised by passive rules on responses from the app under test (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.alerts: list[passive.Alert] = []
        self.urls: set[str] = set()  # every app URL whose response was judged

    def observe(self, scope: Scope, response: requests.Response) -> None:
        for hop in (*response.history, response):
            if not scope.contains(hop.url):
                continue  # the tests may talk to other services: only the app is judged
            checked = _convert(hop)
            found = passive.check(checked, scope.scheme == "https")
            with self._lock:
                self.urls.add(hop.url)
                self.alerts.extend(found)

    def extend(self, alerts: list[passive.Alert], urls: Iterable[str] = ()) -> None:
        with self._lock:
            self.alerts.extend(alerts)
            self.urls.update(urls)


def _convert(response: requests.Response) -> Response:
    headers = (
        tuple((str(k), str(v)) for k, v in response.raw.headers.items()) if response.raw else ()
    )
    if not headers:
        headers = tuple((str(k), str(v)) for k, v in response.headers.items())
    body = response.content[:MAX_BODY].decode(response.encoding or "utf-8", errors="replace")
    return Response(
        response.request.method or "GET", response.url, response.status_code, headers, body
    )


class CheckedSession(requests.Session):
    """A `requests.Session` for functional tests: relative URLs go to the app, and every response
    from the app is checked by the passive rules. Proxies from the environment are ignored."""

    def __init__(self, base_url: str, scope: Scope, log: TrafficLog, zap_proxy: str = "") -> None:
        super().__init__()
        self.trust_env = False
        self.base_url = base_url.rstrip("/") + "/"
        self._scope = scope
        self._log = log
        self._through_zap = bool(zap_proxy)
        if zap_proxy:
            # ZAP sees every request and judges the traffic with its own passive rules.
            self.proxies = {"http": zap_proxy, "https": zap_proxy}

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        absolute = urljoin(self.base_url, url.decode() if isinstance(url, bytes) else url)
        kwargs.setdefault("timeout", 30)
        response = super().request(method, absolute, *args, **kwargs)
        if not self._through_zap:
            self._log.observe(self._scope, response)
        return response
