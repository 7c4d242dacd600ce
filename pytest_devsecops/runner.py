"""Run the selected scanners once and hand their results around (to xdist workers too)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from .core import sanitise
from .core.finding import ScanResult
from .core.fingerprint import assign
from .core.redact import printable, redact
from .scanners.interface import ScanContext, Scanner

RESULTS_FORMAT = 1
BUDGET_GRACE = 5.0  # seconds a scan may overrun devsecops_timeout (reaping, parsing)
HANG_GRACE_SECONDS = 30.0


@dataclasses.dataclass(frozen=True)
class SessionScan:
    """The outcome of every scanner, and the day that baseline expiry is judged against."""

    results: tuple[ScanResult, ...]
    today: datetime.date
    duration: float = 0.0  # wall time of the whole scan (the scanners ran side by side)

    def settle(self) -> SessionScan:
        """The scan once every check still running (`ScanResult.pending`) has finished."""
        if all(result.pending is None for result in self.results):
            return self
        results = tuple(_settled(result) for result in self.results)
        longest = max((result.duration for result in results), default=0.0)
        return dataclasses.replace(self, results=results, duration=max(self.duration, longest))

    def timing(self) -> str:
        """`scan took 8.1s (bandit 8.0s, pip-audit 2.1s side by side)`, for the summary."""
        if not self.results:
            return ""
        each = ", ".join(f"{r.scanner} {r.duration:.1f}s" for r in self.results)
        together = " side by side" if len(self.results) > 1 else ""
        return f"scan took {self.duration:.1f}s ({each}{together})"


class Listener(Protocol):
    """Told when each scanner starts and ends (the terminal's progress lines)."""

    def started(self, scanner: str) -> None: ...

    def finished(self, result: ScanResult) -> None: ...


def run_scanners(
    scanners: Sequence[Scanner], context: ScanContext, listener: Listener | None = None
) -> SessionScan:
    """Run the scanners side by side, each in its own work folder; results in their order.

    A scanner that raises, or does not finish within its timeout (plus a grace period for its
    own clean-up), becomes an error result; the others are not affected. The listener is only
    called from this thread, in registration order, so progress lines never interleave.
    """
    started = time.monotonic()
    runs = [_Run(scanner, context) for scanner in scanners]
    for run in runs:
        if listener is not None:
            listener.started(run.scanner.name)
        run.thread.start()
    results = []
    for run in runs:
        budget = max(context.timeout, _time_budget(run.scanner))
        run.thread.join(max(0.0, started + budget + HANG_GRACE_SECONDS - time.monotonic()))
        result = run.result if run.result is not None else _hung(run.scanner, budget)
        if result.scanner != run.scanner.name:
            result = dataclasses.replace(result, scanner=run.scanner.name)
        result = _within_budget(result, result.duration, budget)
        # One redaction and escaping step for every scanner, before fingerprints are computed.
        result = sanitise.result(result)
        result = dataclasses.replace(result, findings=tuple(assign(result.findings)))
        if listener is not None:
            listener.finished(result)
        results.append(result)
    return SessionScan(tuple(results), datetime.date.today(), time.monotonic() - started)


class _Run:
    """One scanner on its own (daemon) thread: a hung scanner cannot keep pytest from exiting."""

    def __init__(self, scanner: Scanner, context: ScanContext) -> None:
        self.scanner = scanner
        workdir = Path(tempfile.mkdtemp(prefix=f"{scanner.name}-", dir=context.workdir))
        self.context = dataclasses.replace(context, workdir=workdir)
        self.result: ScanResult | None = None
        self.thread = threading.Thread(
            target=self._scan, name=f"devsecops-{scanner.name}", daemon=True
        )

    def _scan(self) -> None:
        started = time.monotonic()
        try:
            result = self.scanner.scan(self.context)
        except Exception as exc:
            result = _failed(self.scanner.name, exc)
        # The scanner's time, charged to its status item (and shown) even if it did not say.
        if not result.duration:
            result = dataclasses.replace(result, duration=time.monotonic() - started)
        self.result = result


def _settled(result: ScanResult) -> ScanResult:
    if result.pending is None:
        return result
    try:
        final = result.pending()
    except Exception as exc:
        final = _failed(result.scanner, exc)
    # The findings were final already (and cleaned) and items were made from them: they stay,
    # fingerprints and all; what the check adds is the verdict on the tool (error, hint, notes).
    final = sanitise.result(dataclasses.replace(final, findings=()))
    return dataclasses.replace(
        final, scanner=result.scanner, findings=result.findings, pending=None
    )


def _hung(scanner: Scanner, timeout: float) -> ScanResult:
    return ScanResult(
        scanner.name,
        scanner.name,
        "",
        error=(
            f"the scanner did not finish within its {timeout:g}s budget (devsecops_timeout) plus "
            f"{HANG_GRACE_SECONDS:g}s; it was abandoned and its results are unknown"
        ),
        hint="raise devsecops_timeout, or report the hang to the scanner's authors",
        duration=timeout + HANG_GRACE_SECONDS,
    )


def _time_budget(scanner: Scanner) -> float:
    """A scanner's own longer budget, if it declares one; a scanner that cannot even say (a
    lazy scanner whose module fails to import) is judged by its scan thread's error instead."""
    try:
        return float(getattr(scanner, "time_budget", 0.0))
    except Exception:
        return 0.0


def _failed(name: str, exc: Exception) -> ScanResult:
    """The error result of a scanner that raised: a missing package, or a bug in it."""
    from .missing import missing_package  # packaging's parser: only when a scanner raised
    from .missing import result_for as missing_result

    package = missing_package(exc)
    if package:
        return missing_result(name, package)
    trace = printable(redact("".join(traceback.format_exception(exc)[-6:])), multiline=True)
    return ScanResult(
        name,
        name,
        "",
        error=f"the scanner raised {printable(redact(repr(exc)))}\n{trace}",
        hint="this is a bug in the scanner plugin; please report it with the trace",
    )


def _within_budget(result: ScanResult, took: float, budget: float) -> ScanResult:
    """A scan that ran past its time budget fails its status item, even if it came back:
    in-process work cannot be killed, but it must not pass after overrunning."""
    if result.error or took <= budget + BUDGET_GRACE:
        return result
    return dataclasses.replace(
        result,
        error=f"the scan took {took:.0f}s, over its {budget:g}s budget (devsecops_timeout)",
        hint="raise devsecops_timeout, or find out what made the scan slow (see its notes)",
    )


def save(data: dict[str, Any], path: Path) -> None:
    """Write a scan's `to_data` where xdist workers (and nothing else) read it back."""
    # Renamed into place: xdist workers start while the controller scans and wait for the file.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def to_data(scan: SessionScan) -> dict[str, Any]:
    """The scan as JSON-ready data (also what the last-run cache keeps for --collect-only)."""
    return {
        "format": RESULTS_FORMAT,
        "today": scan.today.isoformat(),
        "duration": scan.duration,
        "results": [result.to_dict() for result in scan.results],
    }


def from_data(data: Any) -> SessionScan:
    if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT:
        raise ValueError("written by another pytest-devsecops version")
    return SessionScan(
        tuple(ScanResult.from_dict(item) for item in data["results"]),
        datetime.date.fromisoformat(data["today"]),
        float(data.get("duration", 0.0)),
    )


def load(path: Path) -> SessionScan:
    try:
        return from_data(json.loads(path.read_text(encoding="utf-8")))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
