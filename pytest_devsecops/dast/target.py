"""Where the app under test comes from (configured once), and a context that runs it."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit


@dataclasses.dataclass(frozen=True)
class TargetConfig:
    """One of: a WSGI app to serve, a command to run, or a URL that is already up."""

    wsgi: str = ""
    command: str = ""
    url: str = ""
    ready_path: str = "/"
    start_timeout: float = 30.0
    allowed_hosts: tuple[str, ...] = ()
    cwd: Path | None = None

    @property
    def configured(self) -> bool:
        return bool(self.wsgi or self.command or self.url)

    def describe(self) -> str:
        if self.wsgi:
            return f"devsecops_app = {self.wsgi}"
        if self.command:
            return f"devsecops_app_command = {self.command}"
        return f"devsecops_target = {self.url}"


def _verified(check: Callable[[], object]) -> None:
    from . import app, identity

    try:
        check()
    except identity.ForeignServer as exc:
        raise app.AppError(str(exc)) from None


@contextlib.contextmanager
def running(target: TargetConfig) -> Iterator[str]:
    """Start the app (if we own it) and yield its base URL; it is stopped on every exit path."""
    # Imported here: the settings hold a TargetConfig in every run, the server code only DAST.
    from . import app, asgi, identity

    if target.wsgi:
        nonce = identity.new_nonce()
        with (
            asgi.as_wsgi(app.load_wsgi(target.wsgi)) as served,
            app.serve_wsgi(identity.tagged(served, nonce)) as base,
        ):
            _verified(lambda: identity.check_nonce(base, nonce))
            yield base
    elif target.command:
        with app.run_command(
            target.command, target.ready_path, target.start_timeout, target.cwd
        ) as base:
            _verified(lambda: identity.check_owner(urlsplit(base).port or 80))
            yield base
    elif target.url:
        yield target.url.rstrip("/")
    else:
        raise app.AppError(
            "no app under test is configured: set devsecops_app, devsecops_app_command or "
            "devsecops_target, or override the devsecops_app fixture"
        )
