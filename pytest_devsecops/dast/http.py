"""The scanner's HTTP client: pinned address, no env proxies, bounded bodies, checked redirects."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from ..core import deadline
from .scope import Scope, ScopeError

MAX_BODY = 2 * 1024 * 1024
MAX_REDIRECTS = 5


@dataclasses.dataclass(frozen=True)
class Response:
    """What one request returned; `error` set means there was no usable HTTP answer."""

    method: str
    url: str
    status: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    truncated: bool = False
    error: str = ""
    redirected_from: str = ""
    left_scope: str = ""  # a redirect target outside the origin (not followed)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    def all_headers(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def is_html(self) -> bool:
        return self.content_type in ("text/html", "application/xhtml+xml") or (
            not self.content_type and "<html" in self.body[:1000].lower()
        )


class RequestBudgetExceeded(Exception):
    """The scan used every request it was allowed."""


class _ScanAdapter(HTTPAdapter):
    """Connections whose reads a deadline can cut; for HTTPS pinned to an IP, SNI and the
    certificate check use the scope's host name (the URL carries the checked address)."""

    def __init__(self, hostname: str | None) -> None:
        self._hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self._hostname is not None:
            kwargs["server_hostname"] = self._hostname
            kwargs["assert_hostname"] = self._hostname
        super().init_poolmanager(*args, **kwargs)
        deadline.watch_pools(self.poolmanager)


class HttpClient:
    """Makes requests inside one scope; every redirect hop is re-checked before it is followed."""

    def __init__(self, scope: Scope, timeout: float = 10.0, max_requests: int = 5000) -> None:
        self.scope = scope
        self.timeout = timeout
        self.max_requests = max_requests
        self.requests_made = 0
        self.recorded: list[Response] | None = None  # set to a list to keep every answer
        self.session = requests.Session()
        # A CI-wide HTTP(S)_PROXY must not see (or redirect) the scan's traffic.
        self.session.trust_env = False
        self.session.headers["User-Agent"] = "pytest-devsecops DAST"
        # HTTPS is pinned too: the URL carries the checked address, TLS checks the name.
        pinned_tls = scope.scheme == "https" and scope.address != scope.host
        self.session.mount("https://", _ScanAdapter(scope.host if pinned_tls else None))
        self.session.mount("http://", _ScanAdapter(None))

    def close(self) -> None:
        self.session.close()

    def fetch(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | bytes | None = None,
        follow: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """One request (plus in-scope redirects when `follow`); never raises for HTTP trouble."""
        first = url
        for _ in range(MAX_REDIRECTS + 1):
            response = self._once(method, url, params, data, headers)
            location = response.header("Location")
            if (
                not follow
                or response.error
                or response.status not in (301, 302, 303, 307, 308)
                or not location
            ):
                return dataclasses.replace(response, redirected_from=first if url != first else "")
            target = urljoin(response.url, location)
            if not self.scope.contains(target):
                return dataclasses.replace(response, left_scope=target)
            if response.status in (301, 302, 303):
                method, data = "GET", None
            url, params = target, None
        return Response(
            method, url, error=f"more than {MAX_REDIRECTS} redirects", redirected_from=first
        )

    def _once(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | bytes | None,
        extra: Mapping[str, str] | None = None,
    ) -> Response:
        if self.requests_made >= self.max_requests:
            raise RequestBudgetExceeded(f"request budget of {self.max_requests} used up")
        try:
            pinned, host = self._pinned(url)
        except ScopeError as exc:
            return Response(method, url, error=str(exc))
        self.requests_made += 1
        started = time.monotonic()
        try:
            with (
                deadline.cut_after(self.timeout * 3 + 0.5) as expired,
                self.session.request(
                    method,
                    pinned,
                    params=params,
                    data=data,
                    headers={**(extra or {}), "Host": host},
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                ) as raw,
            ):
                # Cut before the headers were complete: whatever urllib3 parsed up to the cut
                # (a status line and half a header) is no answer, however the body read ends.
                if expired.is_set():
                    raise requests.ConnectionError("deadline")
                body, truncated = _read_capped(raw, started + self.timeout * 3)
                headers = tuple((str(k), str(v)) for k, v in raw.raw.headers.items())
                final = (
                    raw.url.replace(pinned.split("/", 3)[2], host, 1) if pinned != url else raw.url
                )
                answer = Response(method, final, raw.status_code, headers, body, truncated)
                if self.recorded is not None:
                    self.recorded.append(answer)
                return answer
        except requests.RequestException as exc:
            if expired.is_set():
                took = f"no complete answer within {self.timeout * 3:g}s"
                return Response(method, url, error=f"{took} (the server was too slow)")
            return Response(method, url, error=f"{type(exc).__name__}: {exc}")

    def _pinned(self, url: str) -> tuple[str, str]:
        """(URL to the checked address, Host header), for https as for http."""
        pinned, host = self.scope.pinned(url)
        if self.scope.scheme == "https" and self.scope.address != self.scope.host:
            parts = urlsplit(pinned)
            address = self.scope.address
            literal = f"[{address}]" if ":" in address else address
            netloc = f"{literal}:{self.scope.port}"
            pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        return pinned, host


def _read_capped(raw: requests.Response, deadline: float) -> tuple[str, bool]:
    """At most MAX_BODY bytes and no longer than the deadline: a slow body is cut, not awaited.

    `read1` returns whatever has arrived, so a server that drips one byte at a time (never
    silent long enough for the socket timeout) still meets the deadline between reads.
    """
    chunks: list[bytes] = []
    size = 0
    body = raw.raw
    while True:
        try:
            chunk = (
                body.read1(65536, decode_content=True)
                if hasattr(body, "read1")
                else body.read(65536, decode_content=True)
            )
        except (urllib3.exceptions.HTTPError, OSError):  # cut by the deadline, or hung up
            return _decode(b"".join(chunks)[:MAX_BODY], raw.encoding), True
        if not chunk:
            return _decode(b"".join(chunks), raw.encoding), False
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY or time.monotonic() > deadline:
            return _decode(b"".join(chunks)[:MAX_BODY], raw.encoding), True


def _decode(data: bytes, encoding: str | None) -> str:
    try:
        return data.decode(encoding or "utf-8", errors="replace")
    except LookupError:  # a bogus charset in Content-Type
        return data.decode("utf-8", errors="replace")
