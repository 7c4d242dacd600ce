"""Run a tool as a child process: argv list, no shell, minimal environment, hard timeout.

The timeout covers the whole run, reading included: output is read with a deadline, so a
child that drips output, or leaves a grandchild holding its output pipe, cannot keep us
waiting. On timeout the whole process group is killed and our pipe ends are closed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence

from ..core.lifetime import EXEC_FAILED, dies_with_us

_KEPT_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "SYSTEMROOT", "TEMP", "TMPDIR", "TMP")
MAX_OUTPUT = 256 * 1024 * 1024  # bytes per stream; more is cut and the outcome says so
EXIT_GRACE = 2.0  # seconds to wait for the pipes to close once the child itself has exited


@dataclasses.dataclass(frozen=True)
class ProcessOutcome:
    """What the child did: its exit status and output, or that it timed out or could not start."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    start_error: str = ""
    output_capped: bool = False  # more than `max_output` bytes: the child was stopped


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Only what a tool needs to run: no tokens, proxies or credentials from our environment."""
    env = {name: os.environ[name] for name in _KEPT_ENV if name in os.environ}
    env["PYTHONIOENCODING"] = "utf-8"
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


def run(
    argv: Sequence[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    max_output: int = MAX_OUTPUT,
) -> ProcessOutcome:
    """Run `argv` in its own process group; kill the whole group on timeout or runaway output."""
    command = tuple(argv)
    deadline = time.monotonic() + timeout
    child_env = dict(env) if env is not None else child_environment()
    try:
        child = subprocess.Popen(  # noqa: S603 - argv list, never a shell
            dies_with_us(command, child_env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env,
            start_new_session=True,
        )
    except OSError as exc:
        return ProcessOutcome(command, None, "", "", start_error=str(exc))
    try:
        if os.name == "nt":  # pragma: no cover - no select() on Windows pipes
            return _run_windows(command, child, timeout)
        out, err, why = _read_until(child, deadline, max_output)
        if why:
            _kill_group(child)
        returncode = _reap(child, deadline if not why else time.monotonic() + 5)
    except BaseException:
        _kill_group(child)
        _reap(child, time.monotonic() + 5)
        raise
    finally:
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    failed_exec = EXEC_FAILED.search(_text(err)) if returncode in (126, 127) else None
    if failed_exec is not None:  # the launcher ran, the program did not: as Popen's OSError
        return ProcessOutcome(command, None, "", "", start_error=failed_exec.group(0))
    return ProcessOutcome(
        command,
        None if why == "timeout" else returncode,
        _text(out),
        _text(err),
        timed_out=why == "timeout",
        output_capped=why == "capped",
    )


def _read_until(
    child: subprocess.Popen[bytes], deadline: float, max_output: int
) -> tuple[bytes, bytes, str]:
    """Both streams until EOF, the deadline ("timeout") or the cap ("capped")."""
    stdout, stderr = child.stdout, child.stderr
    if stdout is None or stderr is None:  # pragma: no cover - both are PIPE
        raise RuntimeError("child has no output pipes")
    buffers = {stdout.fileno(): bytearray(), stderr.fileno(): bytearray()}
    selector = selectors.DefaultSelector()
    for stream in (stdout, stderr):
        selector.register(stream.fileno(), selectors.EVENT_READ)
    exited_at: float | None = None
    why = ""
    try:
        while selector.get_map():
            now = time.monotonic()
            if now >= deadline:
                why = "timeout"
                break
            if exited_at is None and child.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > EXIT_GRACE:
                break  # the child is done; whoever still holds its pipes is killed below
            for key, _ in selector.select(min(deadline - now, 0.2)):
                fd = int(key.fd)
                chunk = os.read(fd, 65536)
                if not chunk:
                    selector.unregister(fd)
                    continue
                buffers[fd] += chunk
                if len(buffers[fd]) > max_output:
                    del buffers[fd][max_output:]
                    why = "capped"
            if why:
                break
    finally:
        selector.close()
    if exited_at is not None:
        _kill_group(child)  # the child is done: whatever is left in its group (a pipe holder) goes
    return bytes(buffers[stdout.fileno()]), bytes(buffers[stderr.fileno()]), why


def _reap(child: subprocess.Popen[bytes], deadline: float) -> int | None:
    try:
        return child.wait(timeout=max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        _kill_group(child)
        with contextlib.suppress(subprocess.TimeoutExpired):
            return child.wait(timeout=5)
        return None


def _run_windows(
    command: tuple[str, ...], child: subprocess.Popen[bytes], timeout: float
) -> ProcessOutcome:  # pragma: no cover - exercised on Windows only
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        return ProcessOutcome(command, None, _text(out), _text(err), timed_out=True)
    return ProcessOutcome(command, child.returncode, _text(out), _text(err))


def _text(data: bytes) -> str:
    """Decoded as `text=True` would: UTF-8 (bad bytes replaced), universal newlines."""
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    if not hasattr(os, "killpg"):  # no process groups (Windows): kill the child itself
        child.kill()
        return
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(OSError):
            child.kill()
