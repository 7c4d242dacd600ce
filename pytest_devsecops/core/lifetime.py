"""Child processes die with us: PR_SET_PDEATHSIG for children, SIGTERM handled like Ctrl-C.

A cancelled CI job sends SIGTERM; Python's default is to die on the spot, skipping every
`finally` that would stop the app under test or ZAP. Handled like SIGINT, it unwinds through
the fixtures' teardown. If we are killed outright (SIGKILL, an xdist worker crash), Linux
sends each child we started SIGKILL through PR_SET_PDEATHSIG. Grandchildren that left the
child's process group, and other platforms, are not covered: there only teardown helps.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

_PR_SET_PDEATHSIG = 1
_Handler = Callable[[int, FrameType | None], Any] | int | None


def _load_prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:  # pragma: no cover - a Linux without a loadable libc
        return None
    return getattr(libc, "prctl", None)


# Looked up once in the parent: the child, between fork and exec, must only make the call.
_PRCTL = _load_prctl()


def die_with_parent() -> None:
    """`preexec_fn`: ask the kernel to SIGKILL this child when its parent (thread) exits."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def supported() -> bool:
    """Whether children are tied to our lifetime by the kernel (Linux)."""
    return _PRCTL is not None


def _terminate_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"terminated by signal {signum}")


def handle_sigterm() -> _Handler:
    """Make SIGTERM unwind like Ctrl-C (teardown runs); returns the handler to restore.

    Only from the main thread and only over the default handler: a handler someone else
    installed (xdist, a CI wrapper, the user) is left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        return None
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    return previous


def restore_sigterm(previous: _Handler) -> None:
    if previous is None or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is _terminate_as_interrupt:
        signal.signal(signal.SIGTERM, previous)


# Waits for EOF on stdin (we closed it, or we died), then kills the watched process group,
# unless we said "done" first (a normal stop already took care of it).
_WATCHDOG = """
import os, signal, sys, time
group = int(sys.argv[1])
said = sys.stdin.buffer.read()
if said.startswith(b"done"):
    sys.exit(0)
for number in (signal.SIGTERM, signal.SIGKILL):
    try:
        os.killpg(group, number)
    except (ProcessLookupError, PermissionError):
        sys.exit(0)
    time.sleep(3)
"""


@contextlib.contextmanager
def tied_to_us(child: subprocess.Popen[bytes]) -> Iterator[None]:
    """While inside: SIGTERM unwinds like Ctrl-C, and a watchdog kills `child`'s whole process
    group if we die without stopping it (SIGKILL, a crashed xdist worker)."""
    previous = handle_sigterm()
    watchdog = _start_watchdog(child.pid)
    try:
        yield
    finally:
        if watchdog is not None and watchdog.stdin is not None:
            with contextlib.suppress(OSError):
                watchdog.stdin.write(b"done")
                watchdog.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                watchdog.wait(timeout=5)
        restore_sigterm(previous)


def _start_watchdog(group: int) -> subprocess.Popen[bytes] | None:
    if os.name != "posix":  # pragma: no cover - no process groups
        return None
    try:
        return subprocess.Popen(  # noqa: S603 - our own interpreter, fixed code, no shell
            [sys.executable, "-I", "-c", _WATCHDOG, str(group)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a signal to our group must not take the watchdog too
            env={"PATH": os.environ.get("PATH", "")},
        )
    except OSError:
        return None
