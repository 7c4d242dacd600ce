"""Progress lines for long scans: on the controller's terminal only, never under -q or on
xdist workers, and at most one line per stage and quarter so pytest's own output stays readable."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .core.finding import ScanResult

Progress = Callable[[str, int, str], None]  # (stage, percent, detail), as the ZAP engine reports


def _quiet(stage: str, percent: int, detail: str) -> None:
    """No progress output (xdist workers, -q)."""


def _writer(config: pytest.Config) -> Callable[[str], None] | None:
    """A function that prints one line, or None where nothing may be printed."""
    if hasattr(config, "workerinput"):
        return None

    def write(line: str) -> None:
        # Looked up when used: the terminal reporter registers itself after our configure hook.
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or config.get_verbosity() < 0:
            return
        reporter.ensure_newline()
        reporter.write_line(line)

    return write


def terminal_progress(config: pytest.Config) -> Progress:
    write = _writer(config)
    if write is None:
        return _quiet
    shown: set[tuple[str, int]] = set()

    def report(stage: str, percent: int, detail: str) -> None:
        step = (stage, min(percent, 100) // 25)
        if step in shown:
            return
        shown.add(step)
        suffix = f" ({detail})" if detail else ""
        write(f"devsecops: ZAP {stage} {percent}%{suffix}")

    return report


class ScanProgress:
    """One line when a scanner starts and one when it ends (duration, coverage, findings)."""

    def __init__(self, config: pytest.Config) -> None:
        self.write = _writer(config)

    def started(self, scanner: str) -> None:
        if self.write is not None:
            self.write(f"devsecops: {scanner} started")

    def finished(self, result: ScanResult) -> None:
        if self.write is None:
            return
        from .messages import status_summary

        count = len(result.findings)
        self.write(
            f"devsecops: {result.scanner} done: {status_summary(result)}; "
            f"{count} finding{'s' if count != 1 else ''}"
        )
