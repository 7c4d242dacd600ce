"""Start a ZAP daemon for one scan: loopback only, a random port and a random 128-bit API key,
and its whole process group killed on every exit path (and if we die: see core/lifetime).

The API key reaches ZAP through a properties file (`-configfile`) readable only by us, in a
private folder removed after the scan, so it never appears on ZAP's command line (which
`ps` shows to every user). What stays visible: the port, and the file's path.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ...core.lifetime import dies_with_us, tied_to_us
from ..app import free_port, stop_process_group
from .client import ZapClient, ZapError


@contextlib.contextmanager
def launched(command: str, timeout: float) -> Iterator[ZapClient]:
    """Run `command` (e.g. /opt/zap/zap.sh) as a daemon and yield a client once it answers."""
    port = free_port()
    key = secrets.token_hex(16)  # 128 bits, never printed
    private = Path(tempfile.mkdtemp(prefix="devsecops-zap-"))  # mode 0700
    settings = private / "api.properties"
    descriptor = os.open(settings, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(f"api.key={key}\n")
    argv = [
        *shlex.split(command),
        "-daemon",
        "-host",
        "127.0.0.1",
        "-port",
        str(port),
        "-configfile",
        str(settings),
        "-config",
        "api.addrs.addr.name=127\\.0\\.0\\.1",
        "-config",
        "api.addrs.addr.regex=true",
    ]
    log = tempfile.NamedTemporaryFile(prefix="devsecops-zap-", suffix=".log", delete=False)  # noqa: SIM115 - closed below
    try:
        child = subprocess.Popen(  # noqa: S603 - the configured ZAP launcher, no shell
            dies_with_us(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        log.close()
        shutil.rmtree(private, ignore_errors=True)
        raise ZapError(f"devsecops_zap_command could not start {argv[0]!r}: {exc}") from exc
    client: ZapClient | None = None
    try:
        # Everything after Popen is inside the try: whatever fails, the daemon is stopped.
        with tied_to_us(child):
            try:
                client = ZapClient(f"http://127.0.0.1:{port}", key)
                _wait(client, child, timeout, Path(log.name))
                yield client
            finally:
                if client is not None:
                    with contextlib.suppress(ZapError):
                        client.call("core/action/shutdown", client.zap.core.shutdown)
                stop_process_group(child, grace=10.0)
    finally:
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)
        shutil.rmtree(private, ignore_errors=True)


def _wait(client: ZapClient, child: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise ZapError(
                f"ZAP exited with status {child.returncode} while starting:\n{_tail(log, client)}"
            )
        try:
            client.version()
            return
        except ZapError as exc:
            last = str(exc)
        time.sleep(0.5)
    raise ZapError(f"ZAP did not answer core/view/version within {timeout:g}s ({last})")


def _tail(log: Path, client: ZapClient) -> str:
    from ...core.redact import redact, tail

    try:
        return redact(tail(log.read_text(encoding="utf-8", errors="replace")), extra=[client._key])
    except OSError:
        return "(no log)"
