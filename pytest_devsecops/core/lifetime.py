"""Child processes die with us: PR_SET_PDEATHSIG for children, SIGTERM handled like Ctrl-C.

A cancelled CI job sends SIGTERM; Python's default is to die on the spot, skipping every
`finally` that would stop the app under test or ZAP. Handled like SIGINT, it unwinds through
the fixtures' teardown. If we are killed outright (SIGKILL, an xdist worker crash), Linux
sends each child we started SIGKILL through PR_SET_PDEATHSIG. Grandchildren that left the
child's process group, and other platforms, are not covered: there only teardown helps.

The child asks for PR_SET_PDEATHSIG itself, through a launcher that sets it and then execs the
tool (util-linux's `setpriv`, else a few lines of Python), never through Popen's `preexec_fn`.
`preexec_fn` runs Python between fork and exec and makes the parent run every at-fork handler,
which Python documents as unsafe with threads; our scanners run side by side in threads, and a
handler registered during another thread's fork (concurrent.futures registers one on first use)
released a lock that a ThreadPoolExecutor held: `RuntimeError('release unlocked lock')`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import FrameType
from typing import Any

_Handler = Callable[[int, FrameType | None], Any] | int | None


# Linux only: PR_SET_PDEATHSIG is Linux's. The parent never calls prctl itself.
_LINUX = sys.platform.startswith("linux")


def _find_setpriv() -> str | None:
    """util-linux's setpriv at its fixed homes (never from PATH; busybox's lacks --pdeathsig)."""
    if not _LINUX:
        return None
    for home in ("/usr/bin/setpriv", "/bin/setpriv"):
        real = os.path.realpath(home)
        if os.path.basename(real) == "setpriv" and os.access(real, os.X_OK):
            return home
    return None


SETPRIV = _find_setpriv()

# Used where setpriv is missing: asks for the signal, gives up if the parent is already gone
# (the signal would never come), then becomes the tool. About 10 ms of interpreter start-up.
_LAUNCHER = """
import ctypes, os, signal, sys
ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1: PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[1]):
    os._exit(137)
os.execv(sys.argv[2], sys.argv[2:])
"""


def dies_with_us(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> list[str]:
    """`argv` behind a launcher that makes the kernel SIGKILL it when its parent thread exits.

    The program is resolved here, as Popen would (PATH of `env`, else ours; a path with a slash
    from `cwd`), so a missing tool still raises the OSError Popen would have raised.
    """
    command = list(argv)
    if not _LINUX or not command:
        return command
    program = _resolve(command[0], env, cwd)
    if SETPRIV is not None:
        return [SETPRIV, "--pdeathsig", "KILL", "--", program, *command[1:]]
    return [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(os.getpid()), program, *command[1:]]


def _resolve(name: str, env: Mapping[str, str] | None, cwd: str | os.PathLike[str] | None) -> str:
    if os.sep in name:
        where = os.path.join(cwd, name) if cwd is not None else name
        if not os.path.exists(where):
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
        if os.path.isdir(where) or not os.access(where, os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)
        return name
    search = (env if env is not None else os.environ).get("PATH", os.defpath)
    found = shutil.which(name, path=search)
    if found is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
    return found


def supported() -> bool:
    """Whether children are tied to our lifetime by the kernel (Linux)."""
    return _LINUX


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
