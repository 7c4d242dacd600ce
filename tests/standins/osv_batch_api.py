"""A loopback stand-in for OSV's batch API (`POST /v1/querybatch`, `GET /v1/vulns/{id}`).

It matches a query on exact (ecosystem, name) and on the record's range with a naive rule
(any `introduced: "0"` range counts as affecting every version), which is enough to check that
the scanner asks the right questions and evaluates the answers itself.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar


class _Handler(BaseHTTPRequestHandler):
    records: ClassVar[dict[str, dict[str, Any]]]
    queries: ClassVar[list[dict[str, Any]]]

    def do_POST(self) -> None:
        if self.path != "/v1/querybatch":
            self.send_error(404)
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        results = []
        for query in body["queries"]:
            self.queries.append(query)
            wanted = (query["package"]["ecosystem"], query["package"]["name"].lower())
            ids = [
                {"id": ident, "modified": record["modified"]}
                for ident, record in sorted(self.records.items())
                if any(
                    (a["package"]["ecosystem"], a["package"]["name"].lower()) == wanted
                    for a in record["affected"]
                )
            ]
            results.append({"vulns": ids} if ids else {})
        self._json({"results": results})

    def do_GET(self) -> None:
        ident = self.path.removeprefix("/v1/vulns/")
        if ident not in self.records:
            self.send_error(404)
            return
        self._json(self.records[ident])

    def _json(self, data: Any) -> None:
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is ours."""


@contextmanager
def serve(records: list[dict[str, Any]]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Run the stand-in on 127.0.0.1; yields its `/v1/query`-style URL and the queries seen."""
    handler = type(
        "Handler", (_Handler,), {"records": {r["id"]: r for r in records}, "queries": []}
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1/query", handler.queries
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
