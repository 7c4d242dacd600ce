"""A registered scanner whose module is imported the first time the run uses it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..core.finding import ScanResult
from .interface import ScanContext, Scanner


class LazyScanner:
    """Stands in for a built-in scanner until it is used, so unselected scanners cost nothing.

    Registering every built-in scanner eagerly imported the DAST engine, requests, the secrets
    and image scanners and more in every run, even one that asked for bandit alone.
    """

    def __init__(self, name: str, build: Callable[[], Scanner]) -> None:
        self.name = name
        self._build = build
        self._built: Scanner | None = None
        # The scan thread and the runner's main thread may both ask first: build it once.
        self._lock = threading.Lock()

    @property
    def scanner(self) -> Scanner:
        with self._lock:
            if self._built is None:
                self._built = self._build()
            return self._built

    def scan(self, context: ScanContext) -> ScanResult:
        return self.scanner.scan(context)

    def __getattr__(self, attribute: str) -> Any:
        # Only reached for attributes the stand-in lacks (a scanner's own flags and settings).
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self.scanner, attribute)

    def __repr__(self) -> str:
        return f"LazyScanner({self.name!r})"
