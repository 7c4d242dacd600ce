"""The out-of-band listener for SSRF and XXE probes: an HTTP server on 127.0.0.1 that records the
paths it is asked for and serves marker files. Nothing it does leaves loopback."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .passive import Alert


class Listener:
    """Records each path requested; `files` maps a path to the body served for it."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.base = f"http://127.0.0.1:{server.server_port}"
        self.seen: list[str] = []
        self.files: dict[str, str] = {}
        self.pending: dict[str, Alert] = {}  # token -> the alert its arrival would prove
        self.lock = threading.Lock()

    def record(self, path: str) -> str | None:
        with self.lock:
            self.seen.append(path)
            return self.files.get(path)

    def wait_for(self, token: str, seconds: float = 1.0) -> bool:
        """Whether a request with `token` in its path arrived (waiting a little for it)."""
        deadline = time.monotonic() + seconds
        while True:
            with self.lock:
                if any(token in path for path in self.seen):
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def expect(self, token: str, alert: Alert) -> None:
        """Remember a payload whose fetch is checked later, all at once (see `settle`)."""
        self.pending[token] = alert

    def settle(self, seconds: float = 1.0) -> list[Alert]:
        """The pending alerts whose token arrived, after one shared wait for stragglers."""
        if not self.pending:
            return []
        self.wait_for(next(reversed(self.pending)), seconds)  # the last one sent
        with self.lock:
            seen = list(self.seen)
        found = [alert for token, alert in self.pending.items() if any(token in p for p in seen)]
        self.pending.clear()
        return found


class _Handler(BaseHTTPRequestHandler):
    server_version = "pytest-devsecops-oob"
    sys_version = ""

    def do_GET(self) -> None:
        listener: Listener = self.server.listener  # type: ignore[attr-defined]
        body = listener.record(self.path.split("?", 1)[0])
        data = (body or "").encode()
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextlib.contextmanager
def listening() -> Iterator[Listener]:
    """A listener on a free loopback port for the duration of a scan."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    listener = Listener(server)
    server.listener = listener  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield listener
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
