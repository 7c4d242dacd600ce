"""Start the application under test on loopback, and stop it (and its children) on every path.

Three ways: a WSGI callable (or factory) served in-process, a command run in its own process
group, or a URL someone else started.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import shlex
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests

from ..core.lifetime import dies_with_us, tied_to_us


class AppError(Exception):
    """The application could not be started or did not become ready; the message says why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def load_wsgi(spec: str) -> Callable[..., Any]:
    """`package.module:attribute`: a WSGI callable, or a factory with no required arguments."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise AppError(f"devsecops_app = {spec!r}: expected 'package.module:attribute'")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise AppError(f"devsecops_app = {spec!r}: {type(exc).__name__}: {exc}") from exc
    if _is_factory(target):
        target = target()
    if not callable(target):
        raise AppError(f"devsecops_app = {spec!r} is not a WSGI application")
    return target  # type: ignore[no-any-return]


def _is_factory(target: Any) -> bool:
    """A plain function or class that takes no arguments builds the app (Flask's create_app)."""
    if not (inspect.isfunction(target) or inspect.isclass(target)):
        return False
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return False
    return not any(
        p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        for p in parameters
    )


class _ThreadingServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._handle, args=(request, client_address), daemon=True)
        thread.start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except OSError:  # a client that hung up must not take the server down
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: errors belong to the app's responses, not to our output."""


class _QuietHandler(WSGIRequestHandler):
    # The harness is ours, not the user's server: it must not leak a version (ZAP rule 10036)
    # that the app's own deployment would not send.
    server_version = "pytest-devsecops"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest's output is ours."""


def _harness_header(app: Callable[..., Any]) -> Callable[..., Any]:
    """Name the harness in `Server` unless the app sets one: wsgiref would otherwise announce
    "WSGIServer/0.2 CPython/3.x", a version leak of ours, not of the app's deployment."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def respond(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            if not any(name.lower() == "server" for name, _ in headers):
                headers = [*headers, ("Server", "pytest-devsecops")]
            return start_response(status, headers, *exc_info)

        return app(environ, respond)

    return wrapped


@contextlib.contextmanager
def serve_wsgi(app: Callable[..., Any]) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 on a free port; yields the base URL."""
    server = make_server(
        "127.0.0.1",
        0,
        _harness_header(app),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def run_command(
    command: str, ready_path: str = "/", timeout: float = 30.0, cwd: Path | None = None
) -> Iterator[str]:
    """Run `command` (with `{port}` filled in) in its own process group until it answers."""
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in shlex.split(command)]
    log = tempfile.NamedTemporaryFile(prefix="devsecops-app-", suffix=".log", delete=False)  # noqa: SIM115 - closed below
    base = f"http://127.0.0.1:{port}"
    try:
        child = subprocess.Popen(  # noqa: S603 - the user's own configured command, no shell
            dies_with_us(argv, cwd=cwd),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=cwd,
        )
    except OSError as exc:
        log.close()
        raise AppError(f"devsecops_app_command could not start {argv[0]!r}: {exc}") from exc
    try:
        with tied_to_us(child):
            try:
                _wait_ready(child, base + ready_path, timeout, Path(log.name))
                yield base
            finally:
                stop_process_group(child)
    finally:
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)


def _wait_ready(child: subprocess.Popen[bytes], url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    session = requests.Session()
    session.trust_env = False
    try:
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise AppError(
                    f"the app exited with status {child.returncode} before it was ready:\n"
                    f"{_tail(log)}"
                )
            if _answers(session, url):
                return
            time.sleep(0.1)
    finally:
        session.close()
    raise AppError(f"the app did not answer {url} within {timeout:g}s:\n{_tail(log)}")


def _answers(session: requests.Session, url: str) -> bool:
    """Whether the app answers (below 500) yet; not listening yet is simply False."""
    try:
        return session.get(url, timeout=2, allow_redirects=False).status_code < 500
    except requests.RequestException:
        return False


def stop_process_group(child: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM the child's whole process group, then SIGKILL whatever is left after `grace` s."""
    if not hasattr(os, "killpg"):  # no process groups (Windows): stop the child itself
        child.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=grace)
        child.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=grace)
    # Whatever is still in the group (the app's own children too) goes now.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=5)


def _tail(log: Path, lines: int = 20) -> str:
    from ..core.redact import tail

    try:
        return tail(log.read_text(encoding="utf-8", errors="replace"), lines)
    except OSError:
        return "(no log)"
