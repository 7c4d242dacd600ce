"""One deadline for a whole HTTP request, headers and body: a server that drips cannot stretch it.

requests' `timeout` bounds each socket read, so a server sending one byte a second never
trips it. `cut_after` shuts the request's sockets down when its time is up; the connection
pools built by `watch_pools` tell it which sockets the current thread's request is using.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# The sockets the current thread's request is using, so its deadline can cut them.
_IN_FLIGHT = threading.local()


class WatchedHTTPConnection(HTTPConnection):
    def getresponse(self) -> Any:
        _watch(self.sock)
        return super().getresponse()


class WatchedHTTPSConnection(HTTPSConnection):
    def getresponse(self) -> Any:
        _watch(self.sock)
        return super().getresponse()


class WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


def _watch(sock: socket.socket | None) -> None:
    watched = getattr(_IN_FLIGHT, "sockets", None)
    if watched is not None and sock is not None:
        watched.append(sock)


def watch_pools(poolmanager: Any) -> None:
    """Make `poolmanager` (a urllib3 PoolManager) build connections a deadline can cut."""
    poolmanager.pool_classes_by_scheme = {"http": WatchedHTTPPool, "https": WatchedHTTPSPool}


def watch_session(session: requests.Session) -> None:
    """`watch_pools` for every adapter mounted on a requests session (caching ones too)."""
    for adapter in session.adapters.values():
        manager = getattr(adapter, "poolmanager", None)
        if manager is not None:
            manager.clear()
            watch_pools(manager)


@contextlib.contextmanager
def cut_after(seconds: float) -> Iterator[threading.Event]:
    """Shut the request's sockets down after `seconds` in all: a server that drips its
    headers a byte at a time never trips the per-read timeout, but it trips this."""
    expired = threading.Event()
    watched: list[socket.socket] = []
    _IN_FLIGHT.sockets = watched

    def cut() -> None:
        expired.set()
        for sock in list(watched):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()
        _IN_FLIGHT.sockets = None
