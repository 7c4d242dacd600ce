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
import functools
import os
import re
import signal
import stat
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
    """util-linux's setpriv at its fixed homes (never from PATH)."""
    if not _LINUX:
        return None
    for home in ("/usr/bin/setpriv", "/bin/setpriv"):
        real = os.path.realpath(home)
        if os.path.basename(real) == "setpriv" and os.access(real, os.X_OK):
            return home
    return None


SETPRIV = _find_setpriv()


@functools.cache
def _knows_pdeathsig(setpriv: str) -> bool:
    """Whether this setpriv has --pdeathsig (util-linux 2.33 on; RHEL 8 ships 2.32), asked once."""
    try:
        shown = subprocess.run(  # noqa: S603 - a fixed system path and a fixed flag
            [setpriv, "--help"], capture_output=True, timeout=10, check=False, env={}
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return b"--pdeathsig" in shown.stdout


# Where setpriv cannot: asks for the signal, gives up if the parent is already gone (the signal
# would never come), then becomes the tool. About 10 ms of interpreter start-up. Python coerces a
# C locale at start-up (LC_CTYPE=C.UTF-8); the tool gets back the LC_CTYPE it was given.
_LAUNCHER = """
import ctypes, os, signal, sys
ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1: PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[1]):
    os._exit(137)
if sys.argv[2].startswith("="):
    os.environ["LC_CTYPE"] = sys.argv[2][1:]
else:
    os.environ.pop("LC_CTYPE", None)
try:
    os.execv(sys.argv[3], sys.argv[3:])
except OSError as exc:
    sys.stderr.write(f"pytest-devsecops: failed to execute {sys.argv[3]}: {exc.strerror}\\n")
    os._exit(127)
"""
# How either launcher says the program could not be executed (exit status 126 or 127).
EXEC_FAILED = re.compile(r"^(?:setpriv|pytest-devsecops): failed to execute .*$", re.MULTILINE)


def dies_with_us(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> list[str]:
    """`argv` behind a launcher that makes the kernel SIGKILL it when its parent thread exits.

    The program is resolved here as Popen would (PATH of `env`, else ours; relative names and
    folders from `cwd`), so a missing or non-executable tool still raises the OSError Popen
    would have raised. Unlike Popen, a PATH entry whose `#!` interpreter is missing ends the
    search (a start error) instead of trying the next folder. One window stays open with
    setpriv: if we die before it has made its call (about a millisecond after Popen returns),
    the child is not signalled.
    """
    command = list(argv)
    if not _LINUX or not command:
        return command
    program, plain = _resolve(command[0], env, cwd)
    # setpriv's execvp would hand a file that is neither ELF nor #! to /bin/sh; the Python
    # launcher's execv leaves it to the kernel (binfmt_misc, or ENOEXEC), as Popen does.
    if plain and SETPRIV is not None and _knows_pdeathsig(SETPRIV):
        return [SETPRIV, "--pdeathsig", "KILL", "--", program, *command[1:]]
    ctype = (env if env is not None else os.environ).get("LC_CTYPE")
    return [
        sys.executable,
        *("-I", "-S", "-c", _LAUNCHER, str(os.getpid()), "-" if ctype is None else f"={ctype}"),
        *(program, *command[1:]),
    ]


def _resolve(
    name: str, env: Mapping[str, str] | None, cwd: str | os.PathLike[str] | None
) -> tuple[str, bool]:
    """The path Popen would execute for `name` (or the OSError it would raise), and whether it
    is plainly an ELF binary or a #! script."""
    # Joined, never normalised: `link/..` is the link target's parent to the kernel.
    base = os.path.join(os.getcwd(), os.fspath(cwd) if cwd is not None else "")
    if os.sep in name:
        candidates = [name]
    else:
        candidates = [os.path.join(folder, name) for folder in os.get_exec_path(env)]
    refused: OSError | None = None
    for candidate in candidates:
        where = os.path.join(base, candidate)
        try:
            plain = _check_executable(where, name)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            refused = refused or exc  # as Popen: keep looking, report this if nothing runs
            continue
        return where, plain
    raise refused or FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)


def _check_executable(path: str, name: str) -> bool:
    """Raise as exec would for a missing, non-regular or non-executable file; return whether
    it starts as an ELF binary or a #! script (False when it cannot be read: execute-only)."""
    info = os.stat(path)  # FileNotFoundError, NotADirectoryError: try the next, as Popen does
    if not stat.S_ISREG(info.st_mode) or not os.access(path, os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)
    try:
        # Non-blocking: swapped for a FIFO after the stat, it must not hang us before any timeout.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)
        start = os.read(fd, 4)
    finally:
        os.close(fd)
    return start.startswith(b"#!") or start == b"\x7fELF"


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
