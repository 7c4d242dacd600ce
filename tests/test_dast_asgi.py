"""A real FastAPI app as `devsecops_app`: served in-process, its lifespan run around the scan, its
findings reported, and nothing of it left running afterwards."""

from __future__ import annotations

import socket
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import requests

pytest.importorskip("fastapi", reason="fastapi comes with the [test] extra")

FASTAPI_APP = textwrap.dedent(
    """
    import contextlib, html, os
    from pathlib import Path

    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse, StreamingResponse

    LOG = Path(__file__).with_name("lifespan.log")


    def note(text):
        with LOG.open("a") as log:
            log.write(text + "\\n")


    @contextlib.asynccontextmanager
    async def lifespan(app):
        if os.environ.get("FASTAPI_APP_FAIL"):
            raise RuntimeError("the database is not there")
        note("startup")
        yield
        note("shutdown")


    app = FastAPI(lifespan=lifespan, debug=True)
    LINKS = ["/search?q=hat", "/safe?q=hat", "/items/1", "/stream", "/crash"]


    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):
        note(f"port {request.url.port}")
        return "<html><body>" + "".join(f"<a href='{u}'>{u}</a> " for u in LINKS) + "</body></html>"


    @app.get("/search", response_class=HTMLResponse)
    def search(q: str = ""):
        return f"<html><body><p>results for {q}</p></body></html>"


    @app.get("/safe", response_class=HTMLResponse)
    def safe(q: str = ""):
        return f"<html><body><p>results for {html.escape(q)}</p></body></html>"


    @app.get("/items/{item_id}")
    def item(item_id: int):
        return {"id": item_id}


    @app.get("/stream")
    def stream():
        async def parts():
            for n in range(3):
                yield f"<p>part {n}</p>"

        return StreamingResponse(parts(), media_type="text/html")


    @app.get("/crash")
    def crash():
        raise RuntimeError("boom")
    """
)


@pytest.fixture
def fastapi_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(fastapi_app=FASTAPI_APP)
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        devsecops_scanners = ["dast"]
        devsecops_app = "fastapi_app:app"
        devsecops_dast_active = true
        """
    )
    return pytester


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_fastapi_app_is_scanned_with_its_lifespan_and_then_stopped(
    fastapi_project: pytest.Pytester,
) -> None:
    before = set(threading.enumerate())
    result = fastapi_project.runpytest("--devsecops", "-v")
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/dast::status PASSED*",
            "devsecops/dast::40012[[]GET /search q[]] FAILED*",
        ]
    )
    assert "/safe" not in "".join(line for line in result.outlines if "40012" in line)
    log = (fastapi_project.path / "lifespan.log").read_text().splitlines()
    assert log[0] == "startup"
    assert log[-1] == "shutdown"  # after every request of the scan
    assert log.count("startup") == log.count("shutdown") == 1
    port = int(log[1].split()[1])
    assert not _listening(port)  # the server is gone
    left = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert left == []  # and so are its threads (the event loop's among them)
    sys.modules.pop("fastapi_app", None)


def test_a_failing_lifespan_startup_fails_the_status(
    fastapi_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTAPI_APP_FAIL", "1")
    result = fastapi_project.runpytest("--devsecops", "-rf")
    result.stdout.fnmatch_lines(
        ["*lifespan startup failed*", "*RuntimeError: the database is not there"]
    )
    result.stdout.fnmatch_lines_random(["FAILED devsecops/dast::status*"])
    assert not (fastapi_project.path / "lifespan.log").exists()  # no request reached the app
    sys.modules.pop("fastapi_app", None)


def test_the_apps_own_error_page_is_its_answer(pytester: pytest.Pytester) -> None:
    """Starlette sends its 500 page and then re-raises: the page, not a bridge's stand-in, is
    what the scan must see (a debug traceback is a finding)."""
    from pytest_devsecops.dast.app import load_wsgi, serve_wsgi
    from pytest_devsecops.dast.asgi import as_wsgi

    pytester.makepyfile(fastapi_app=FASTAPI_APP)
    pytester.syspathinsert()
    try:
        with as_wsgi(load_wsgi("fastapi_app:app")) as served, serve_wsgi(served) as base:
            crash = requests.get(base + "/crash", headers={"Accept": "text/html"}, timeout=10)
            stream = requests.get(base + "/stream", timeout=10)
    finally:
        sys.modules.pop("fastapi_app", None)
    assert crash.status_code == 500
    assert "RuntimeError: boom" in crash.text
    assert stream.text == "<p>part 0</p><p>part 1</p><p>part 2</p>"
    assert Path(pytester.path / "lifespan.log").read_text().split() == ["startup", "shutdown"]
