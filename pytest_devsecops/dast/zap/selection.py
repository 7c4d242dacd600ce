"""Which DAST engine a scan uses: ZAP when configured (never a quiet fallback), else built-in."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

# The engines are imported when one is opened: the settings hold an EngineChoice in every run.
if TYPE_CHECKING:
    from ..interface import DastEngine
    from .client import ZapClient
    from .engine import Progress

ENGINES = ("auto", "builtin", "zap")


@dataclasses.dataclass(frozen=True)
class ZapSettings:
    """How to reach ZAP: a running daemon's URL (key from ZAP_API_KEY) or a command to launch."""

    url: str = ""
    command: str = ""
    start_timeout: float = 120.0
    policy: str = ""
    ajax_spider: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.url or self.command)


@dataclasses.dataclass(frozen=True)
class EngineChoice:
    mode: str = "auto"
    zap: ZapSettings = dataclasses.field(default_factory=ZapSettings)


@contextlib.contextmanager
def zap_client(zap: ZapSettings) -> Iterator[ZapClient]:
    from .client import ZapClient
    from .launcher import launched

    if zap.command:
        with launched(zap.command, zap.start_timeout) as client:
            yield client
        return
    client = ZapClient(zap.url, os.environ.get("ZAP_API_KEY", ""))
    client.version()  # reachable, and the key is right (a wrong key closes the connection)
    yield client


@contextlib.contextmanager
def open_engine(
    choice: EngineChoice, progress: Progress | None = None
) -> Iterator[tuple[DastEngine, str]]:
    """Yield the engine and a note saying which one runs and why.

    Neither `zap` nor `auto` falls back: a ZAP the user configured that does not start or answer
    is a failure, or a misconfigured daemon would silently downgrade every scan.
    """
    from ..engine import BuiltinEngine
    from .client import ZapError
    from .engine import ZapEngine, _quiet

    if choice.mode == "builtin" or (choice.mode == "auto" and not choice.zap.configured):
        yield BuiltinEngine(), "built-in engine"
        return
    if choice.mode == "zap" and not choice.zap.configured:
        raise ZapError(
            "devsecops_dast_engine = zap, but neither devsecops_zap_url nor "
            "devsecops_zap_command is set"
        )
    stack = contextlib.ExitStack()
    try:
        client = stack.enter_context(zap_client(choice.zap))
        version = client.version()
    except ZapError:
        stack.close()
        raise
    with stack:
        yield (
            ZapEngine(client, choice.zap.policy, choice.zap.ajax_spider, progress or _quiet),
            f"ZAP {version}",
        )
