"""A loopback stand-in for the OSV query API (`POST /v1/query`), as pip-audit calls it.

It answers from a folder of OSV records and matches only on each record's explicit
`versions` list (how osv.dev resolves PyPI queries), so it is independent of the range
evaluation in pytest_devsecops and can serve as a reference for it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


def load_records(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Records by canonical package name (YAML read as strings, JSON as JSON)."""
    by_package: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".yaml", ".yml"):
            record = yaml.load(path.read_text(), Loader=yaml.CBaseLoader)  # noqa: S506 - base loader: strings only
        elif path.suffix == ".json":
            record = json.loads(path.read_text())
        else:
            continue
        if "affected" not in record:
            # A broken record: answered for every version of the package named by its folder
            # (the PyPA layout vulns/<package>/<id>.yaml), as a faulty service might.
            by_package.setdefault(canonicalize_name(path.parent.name), []).append(record)
        for affected in record.get("affected") or ():
            name = canonicalize_name(affected["package"]["name"])
            by_package.setdefault(name, []).append(record)
    return by_package


class _Handler(BaseHTTPRequestHandler):
    # Set per server by `serve`, which subclasses this handler with its own dict and list.
    records: ClassVar[dict[str, list[dict[str, Any]]]]
    queries: ClassVar[list[dict[str, Any]]]

    def do_POST(self) -> None:
        if self.path != "/v1/query":
            self.send_error(404)
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.queries.append(body)
        name = canonicalize_name(body["package"]["name"])
        version = _normalised(body["version"])
        vulns = [
            record
            for record in self.records.get(name, [])
            if "affected" not in record
            or any(
                canonicalize_name(item["package"]["name"]) == name
                and version in {_normalised(listed) for listed in item.get("versions", [])}
                for item in record.get("affected") or ()
            )
        ]
        payload = json.dumps({"vulns": vulns} if vulns else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is ours."""


def _normalised(version: str) -> str:
    """PEP 440 normal form, as osv.dev compares PyPI versions ("2016.05.06" == "2016.5.6")."""
    try:
        return str(Version(version))
    except InvalidVersion:
        return version


@contextmanager
def serve(folder: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Run the stand-in on 127.0.0.1; yields its query URL and the list of queries received."""
    handler = type("Handler", (_Handler,), {"records": load_records(folder), "queries": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1/query", handler.queries
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
