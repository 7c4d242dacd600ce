"""The scope guard: the target must be loopback (or explicitly allowed) before any request.

The target is parsed, its host resolved, and every address checked; userinfo, non-HTTP
schemes and bad ports are refused. Every later URL (links, redirects, probes) must keep the
target's exact origin.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit, urlunsplit

Resolver = Callable[[str, int], list[str]]


class ScopeError(ValueError):
    """A URL the scanner must not touch; the message names the rule it breaks."""


@dataclasses.dataclass(frozen=True)
class Scope:
    """The one origin a scan may touch, and the address it was pinned to."""

    scheme: str
    host: str
    port: int
    address: str  # the resolved address every request connects to (pinned)

    @property
    def loopback(self) -> bool:
        """Whether requests go to this machine (the app under test), not an allowed host."""
        return ipaddress.ip_address(self.address.split("%")[0]).is_loopback

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{_netloc(self.host, self.port)}"

    def contains(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            port = parts.port or _default_port(parts.scheme)
        except ValueError:
            return False
        return (
            parts.scheme == self.scheme
            and (parts.hostname or "").lower() == self.host
            and port == self.port
            and not parts.username
            and not parts.password
        )

    def check(self, url: str) -> str:
        """`url` if it is inside the scope; otherwise ScopeError."""
        if not self.contains(url):
            raise ScopeError(f"{url} is outside the scan's origin {self.origin}")
        return url

    def pinned(self, url: str) -> tuple[str, str]:
        """(URL that connects to the pinned address, Host header) for an in-scope http URL."""
        parts = urlsplit(self.check(url))
        if self.scheme != "http" or self.address == self.host:
            return url, _netloc(self.host, self.port)
        host = f"[{self.address}]" if ":" in self.address else self.address
        pinned = urlunsplit(
            (parts.scheme, f"{host}:{self.port}", parts.path or "/", parts.query, "")
        )
        return pinned, _netloc(self.host, self.port)


def resolve_scope(
    target: str, allowed_hosts: Iterable[str] = (), resolver: Resolver | None = None
) -> Scope:
    """Check `target` against the rules and pin it; raises ScopeError naming the broken rule."""
    try:
        parts = urlsplit(target)
        port = parts.port
    except ValueError as exc:
        raise ScopeError(f"{target!r}: not a valid URL or port ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ScopeError(f"{target!r}: only http and https targets can be scanned")
    if "@" in parts.netloc or parts.username or parts.password:
        raise ScopeError(
            f"{target!r}: user information in the URL is refused (it hides the real host)"
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise ScopeError(f"{target!r}: no host")
    port = port or _default_port(parts.scheme)
    if not 0 < port < 65536:
        raise ScopeError(f"{target!r}: port {port} is out of range")
    addresses = (resolver or _resolve)(host, port)
    if not addresses:
        raise ScopeError(f"{target!r}: {host} does not resolve")
    allowed = {name.lower() for name in allowed_hosts}
    if host not in allowed:
        outside = [a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_loopback]
        if outside:
            raise ScopeError(
                f"{target!r}: {host} resolves to {', '.join(outside)}, which is not loopback; "
                f"DAST only scans loopback unless the host is listed in devsecops_allowed_hosts"
            )
    return Scope(parts.scheme, host, port, sorted(addresses)[0])


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({str(info[4][0]) for info in infos})


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _netloc(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}"
