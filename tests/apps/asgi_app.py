"""A bare ASGI app (no framework needed): a lifespan that must run before any request, and a
search page that reflects its query without escaping."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

STATE: dict[str, Any] = {"started": False, "stopped": False}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                STATE["started"] = True
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                STATE["stopped"] = True
                await send({"type": "lifespan.shutdown.complete"})
                return
    if not STATE["started"]:
        raise RuntimeError("a request before the lifespan startup")
    query = parse_qs(scope["query_string"].decode())
    if scope["path"] == "/search":
        body = f"<p>results for {query.get('q', [''])[0]}</p>"
    else:
        body = "<a href='/search?q=hat'>search</a>"
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": f"<html><body>{body}</body></html>".encode()})
