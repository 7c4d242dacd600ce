"""The scope guard refuses anything but loopback before a single socket opens."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_devsecops.dast.app import serve_wsgi
from pytest_devsecops.dast.http import HttpClient
from pytest_devsecops.dast.scope import ScopeError, resolve_scope

sys.path.insert(0, str(Path(__file__).parent / "apps"))
from small_apps import make_redirector


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to connect anywhere fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a socket was opened: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.mark.usefixtures("no_sockets")
@pytest.mark.parametrize(
    ("target", "rule"),
    [
        ("http://localhost@10.0.0.5/", "user information"),
        ("http://127.0.0.1@evil.example/", "user information"),
        ("http://10.0.0.5/", "not loopback"),
        ("http://169.254.169.254/latest/meta-data/", "not loopback"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://127.0.0.1:6379/", "only http and https"),
        ("http://127.0.0.1:99999/", "port"),
        ("http://[::ffff:10.0.0.5]/", "not loopback"),
    ],
)
def test_refused_targets_name_the_rule(target: str, rule: str) -> None:
    with pytest.raises(ScopeError, match=rule):
        resolve_scope(target)


@pytest.mark.usefixtures("no_sockets")
def test_a_name_resolving_elsewhere_is_refused_unless_allowed() -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1", "10.0.0.5"]  # one loopback answer does not make it safe

    with pytest.raises(ScopeError, match=r"resolves to 10\.0\.0\.5"):
        resolve_scope("http://staging.example:8080/", resolver=resolver)
    scope = resolve_scope("http://staging.example:8080/", ["staging.example"], resolver=resolver)
    assert scope.origin == "http://staging.example:8080"


def test_loopback_is_accepted_and_pinned() -> None:
    scope = resolve_scope("http://localhost:8000/app")
    assert scope.address in ("127.0.0.1", "::1")
    assert scope.contains("http://localhost:8000/other?x=1")
    for outside in (
        "http://localhost:8001/",
        "https://localhost:8000/",
        "http://127.0.0.2:8000/",
        "http://user@localhost:8000/",
        "//localhost:8000/",
        "http://localhost:99999/",
    ):
        assert not scope.contains(outside), outside


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    def app(environ: dict[str, object], start_response: object) -> list[bytes]:
        hits.append(str(environ.get("PATH_INFO")))
        start_response("200 OK", [("Content-Type", "text/html")])  # type: ignore[operator]
        return [b"<html>other origin</html>"]

    with serve_wsgi(app) as base:
        yield base, hits


def test_redirects_and_links_off_the_origin_are_not_followed(
    counting_server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    other, hits = counting_server
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # a blackhole the client must ignore
    from pytest_devsecops.dast.engine import BuiltinEngine
    from pytest_devsecops.dast.interface import DastOptions

    with serve_wsgi(make_redirector(other + "/stolen")) as base:
        scope = resolve_scope(base)
        client = HttpClient(scope)
        response = client.fetch("GET", base + "/")
        assert response.status == 302
        assert response.left_scope == other + "/stolen"
        report = BuiltinEngine().scan(scope, base + "/page", DastOptions(active=True))
    assert hits == []
    assert other + "/stolen" in report.out_of_scope


def test_a_slow_drip_body_is_cut_at_the_deadline() -> None:
    import threading
    import time as clock

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def drip() -> None:
        connection, _ = server.accept()
        connection.recv(4096)
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
        )
        try:
            for _ in range(40):  # one byte every 0.25 s: never silent long enough to time out
                connection.sendall(b"A")
                clock.sleep(0.25)
        except OSError:
            pass
        connection.close()

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    client = HttpClient(resolve_scope(f"http://127.0.0.1:{port}"), timeout=1.0)
    started = clock.monotonic()
    response = client.fetch("GET", f"http://127.0.0.1:{port}/")
    assert clock.monotonic() - started < 6
    assert response.truncated
    client.close()
    server.close()


def test_compressed_bodies_are_decoded() -> None:
    import gzip

    def app(environ: dict[str, object], start_response: object) -> list[bytes]:
        body = gzip.compress(b"<html><body>Traceback (most recent call last):</body></html>")
        start_response("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")])  # type: ignore[operator]
        return [body]

    with serve_wsgi(app) as base:
        client = HttpClient(resolve_scope(base))
        assert "Traceback" in client.fetch("GET", base + "/").body
        client.close()


def test_a_scope_knows_whether_it_is_this_machine() -> None:
    # A discovered OpenAPI description's POST/PUT/DELETE operations go to loopback apps only.
    def local(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    def staging(host: str, port: int) -> list[str]:
        return ["10.0.0.5"]

    assert resolve_scope("http://app.test:8000", ["app.test"], resolver=local).loopback
    assert not resolve_scope("http://app.test:8000", ["app.test"], resolver=staging).loopback
