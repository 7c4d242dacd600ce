"""Is the server on the port the app we started? A per-run nonce route served by our WSGI
wrapper, or (for a command) the process that owns the listening socket. A foreign server gets
no probe."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

NONCE_PATH = "/.well-known/pytest-devsecops-nonce"


class ForeignServer(Exception):
    """Something else answers on the app's port; the message says what was seen."""


def new_nonce() -> str:
    return secrets.token_hex(16)


def tagged(app: Callable[..., Any], nonce: str) -> Callable[..., Any]:
    """The WSGI app, plus one route that answers the run's nonce."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == NONCE_PATH:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [nonce.encode()]
        return app(environ, start_response)

    return wrapped


def check_nonce(base: str, nonce: str) -> None:
    """The server at `base` answers our nonce; otherwise ForeignServer."""
    session = requests.Session()
    session.trust_env = False
    try:
        answer = session.get(base + NONCE_PATH, timeout=5, allow_redirects=False)
        seen = answer.text[:200] if answer.status_code == 200 else f"HTTP {answer.status_code}"
    except requests.RequestException as exc:
        seen = type(exc).__name__
    finally:
        session.close()
    if seen != nonce:
        raise ForeignServer(
            f"the server at {base} is not the app pytest-devsecops started (it did not answer "
            f"this run's identity check: {seen!r}); nothing was scanned"
        )


def check_owner(port: int, proc: Path = Path("/proc")) -> str:
    """Raise ForeignServer unless the socket listening on `port` belongs to one of our own
    descendants; returns a note ("" when verified) where the OS does not let us look."""
    if not (proc / "net" / "tcp").exists():
        return "the owner of the app's port could not be checked on this OS"
    inodes = _listening_inodes(port, proc)
    if not inodes:
        raise ForeignServer(f"nothing we can see listens on port {port}")
    owner = _owner(inodes, proc)
    if owner is None or owner == os.getpid() or not _descends_from(owner, os.getpid(), proc):
        raise ForeignServer(
            f"port {port} is served by "
            + (f"process {owner}" if owner else "a process we cannot see")
            + ", not by devsecops_app_command (did the command ignore {port}?); nothing was scanned"
        )
    return ""


def _listening_inodes(port: int, proc: Path) -> set[str]:
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if (
                len(fields) > 9
                and fields[3] == "0A"
                and int(fields[1].rsplit(":", 1)[1], 16) == port
            ):
                inodes.add(fields[9])
    return inodes


def _owner(inodes: set[str], proc: Path) -> int | None:
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    return int(entry.name)
        except OSError:
            continue
    return None


def _descends_from(pid: int, ancestor: int, proc: Path) -> bool:
    for _ in range(64):
        if pid == ancestor:
            return True
        try:
            stat = (proc / str(pid) / "stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid <= 1:
            return False
    return False
