"""The DAST client connects only to the address it checked, over HTTPS too, within its deadline."""

from __future__ import annotations

import http.server
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_devsecops.dast.http import HttpClient
from pytest_devsecops.dast.scope import resolve_scope

HOST = "rebind.test"


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",  # noqa: S607
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={HOST}",
         "-addext", f"subjectAltName=DNS:{HOST}"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record every connect; refuse (never attempt) any to a non-loopback address."""
    connections: list[Any] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        connections.append(address)
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(f"socket guard: {address[0]} is not loopback")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return connections


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A resolver that answers loopback for the first look-up of HOST, 10.0.0.5 after."""
    answers: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != HOST:
            return real(host, port, *args, **kwargs)
        address = "127.0.0.1" if not answers else "10.0.0.5"
        answers.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 443)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, list[str]]]:
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    context.sni_callback = lambda sock, name, ctx: names.append(str(name)) and None  # type: ignore[func-returns-value]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"host={self.headers['Host']}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], names
    finally:
        server.shutdown()
        server.server_close()


def test_https_is_pinned_against_dns_rebinding(
    tls_server: tuple[int, list[str]],
    certificate: tuple[Path, Path],
    guarded: list[Any],
    rebinding: list[str],
) -> None:
    port, names = tls_server
    scope = resolve_scope(f"https://{HOST}:{port}/", resolver=lambda h, p: ["127.0.0.1"])
    rebinding.append("127.0.0.1")  # the scope's look-up happened: any later one rebinds
    client = HttpClient(scope, timeout=5)
    client.session.verify = str(certificate[0])
    try:
        for _ in range(3):
            response = client.fetch("GET", f"https://{HOST}:{port}/")
            assert response.error == ""
            assert response.status == 200
            assert response.body == f"host={HOST}:{port}"
    finally:
        client.close()
    assert guarded
    assert all(address[0] == "127.0.0.1" for address in guarded)
    assert names
    assert set(names) == {HOST}  # SNI carries the name, and the certificate was checked for it


def test_a_certificate_for_another_name_is_refused(
    tls_server: tuple[int, list[str]], certificate: tuple[Path, Path], guarded: list[Any]
) -> None:
    port, _ = tls_server
    scope = resolve_scope(f"https://other.test:{port}/", resolver=lambda h, p: ["127.0.0.1"])
    client = HttpClient(scope, timeout=5)
    client.session.verify = str(certificate[0])
    response = client.fetch("GET", f"https://other.test:{port}/")
    client.close()
    assert response.status == 0
    assert "SSL" in response.error or "certificate" in response.error.lower()


def test_dripped_headers_cannot_stretch_the_timeout() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    stop = threading.Event()

    def drip() -> None:
        connection, _ = server.accept()
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        try:
            while not stop.is_set():  # a header byte every 0.2 s: never silent for a second
                connection.sendall(b"X")
                time.sleep(0.2)
        except OSError:
            pass
        connection.close()

    threading.Thread(target=drip, daemon=True).start()
    client = HttpClient(resolve_scope(f"http://127.0.0.1:{port}"), timeout=1.0)
    answers: list[Any] = []
    started = time.monotonic()
    fetching = threading.Thread(
        target=lambda: answers.append(client.fetch("GET", f"http://127.0.0.1:{port}/")),
        daemon=True,
    )
    fetching.start()
    fetching.join(timeout=15)
    took = time.monotonic() - started
    stop.set()
    assert answers, "the request was still waiting for its headers after 15 s"
    (response,) = answers
    client.close()
    server.close()
    assert took < 6
    assert "no complete answer within 3s" in response.error
