"""ASGI apps (FastAPI, Starlette) served in-process: a small ASGI-to-WSGI bridge that runs the app
on its own event loop thread, with its lifespan started before the scan and ended after it."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

TIMEOUT = 60.0  # seconds one request may take inside the app


def is_asgi(app: Any) -> bool:
    """An ASGI 3 application: a coroutine function taking (scope, receive, send)."""
    call = app if inspect.isfunction(app) else getattr(app, "__call__", None)  # noqa: B004
    return inspect.iscoroutinefunction(call)


@contextlib.contextmanager
def as_wsgi(app: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """`app` itself when it is WSGI; otherwise a WSGI bridge to it, for the block's duration."""
    if not is_asgi(app):
        yield app
        return
    bridge = _Bridge(app)
    try:
        bridge.startup()
        yield bridge
    finally:
        bridge.close()


class _Bridge:
    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.lifespan: asyncio.Future[Any] | None = None
        self.stop: asyncio.Event | None = None

    def startup(self) -> None:
        started = asyncio.run_coroutine_threadsafe(self._startup(), self.loop)
        error = started.result(timeout=TIMEOUT)
        if error:
            from .app import AppError

            raise AppError(f"the ASGI app's lifespan startup failed: {error}")

    async def _startup(self) -> str:
        stop = self.stop = asyncio.Event()
        ready: asyncio.Future[str] = self.loop.create_future()
        messages = [{"type": "lifespan.startup"}]

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop(0)
            await stop.wait()
            return {"type": "lifespan.shutdown"}

        async def send(message: dict[str, Any]) -> None:
            kind = message.get("type", "")
            if not ready.done() and kind == "lifespan.startup.complete":
                ready.set_result("")
            elif not ready.done() and kind == "lifespan.startup.failed":
                ready.set_result(str(message.get("message", "failed")))

        async def run() -> None:
            # An app without lifespan support raises here: then there is nothing to start.
            with contextlib.suppress(Exception):
                await self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
            if not ready.done():
                ready.set_result("")

        self.lifespan = asyncio.ensure_future(run())
        return await ready

    def close(self) -> None:
        async def shutdown() -> None:
            if self.stop is not None:
                self.stop.set()
            if self.lifespan is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.lifespan, 10)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size > 0 else b""
        answer = asyncio.run_coroutine_threadsafe(self._http(_scope(environ), body), self.loop)
        try:
            status, headers, chunks = answer.result(timeout=TIMEOUT)
        except Exception:
            answer.cancel()
            status, headers, chunks = (
                500,
                [(b"content-type", b"text/plain")],
                [b"Internal Server Error"],
            )
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        start_response(
            f"{status} {reason}".strip(),
            [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers],
        )
        return [b"".join(chunks)]

    async def _http(self, scope: dict[str, Any], body: bytes) -> tuple[int, list[Any], list[bytes]]:
        pending = [{"type": "http.request", "body": body, "more_body": False}]
        state: dict[str, Any] = {"status": 500, "headers": [], "started": False}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            if pending:
                return pending.pop(0)
            await asyncio.sleep(TIMEOUT)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                state["status"] = int(message["status"])
                state["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))

        try:
            await self.app(scope, receive, send)
        except Exception:
            # Starlette (so FastAPI) sends its 500 page, a traceback when debug is on, and then
            # re-raises for the server's log: that page is the app's answer, and rule 10023's.
            if not state["started"]:
                raise
        return state["status"], state["headers"], chunks


def _scope(environ: dict[str, Any]) -> dict[str, Any]:
    headers = [
        (key[5:].replace("_", "-").lower().encode("latin-1"), str(value).encode("latin-1"))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key, name in (("CONTENT_TYPE", b"content-type"), ("CONTENT_LENGTH", b"content-length")):
        if environ.get(key):
            headers.append((name, str(environ[key]).encode("latin-1")))
    path = environ.get("PATH_INFO", "/") or "/"
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": environ.get("REQUEST_METHOD", "GET"),
        "scheme": environ.get("wsgi.url_scheme", "http"),
        "path": path,
        "raw_path": path.encode("latin-1"),
        "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "root_path": "",
        "headers": headers,
        "client": (environ.get("REMOTE_ADDR", "127.0.0.1"), int(environ.get("REMOTE_PORT") or 0)),
        "server": (environ.get("SERVER_NAME", "127.0.0.1"), int(environ.get("SERVER_PORT") or 80)),
    }
