"""Run a tool as a child process: argv list, no shell, minimal environment, hard timeout."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence

_KEPT_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP")


@dataclasses.dataclass(frozen=True)
class ProcessOutcome:
    """What the child did: its exit status and output, or that it timed out or could not start."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    start_error: str = ""


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Only what a tool needs to run: no tokens, proxies or credentials from our environment."""
    env = {name: os.environ[name] for name in _KEPT_ENV if name in os.environ}
    env["PYTHONIOENCODING"] = "utf-8"
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


def run(
    argv: Sequence[str], timeout: float, env: Mapping[str, str] | None = None
) -> ProcessOutcome:
    """Run `argv` in its own process group and kill the whole group on timeout."""
    command = tuple(argv)
    try:
        child = subprocess.Popen(  # noqa: S603 - argv list, never a shell
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else child_environment(),
            start_new_session=True,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        return ProcessOutcome(command, None, "", "", start_error=str(exc))
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(child)
        stdout, stderr = child.communicate()
        return ProcessOutcome(command, None, stdout, stderr, timed_out=True)
    except BaseException:
        _kill_group(child)
        child.wait()
        raise
    return ProcessOutcome(command, child.returncode, stdout, stderr)


def _kill_group(child: subprocess.Popen[str]) -> None:
    if not hasattr(os, "killpg"):  # no process groups (Windows): kill the child itself
        child.kill()
        return
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        child.kill()
