"""Run the selected scanners once and hand their results around (to xdist workers too)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from .core import sanitise
from .core.finding import ScanResult
from .core.fingerprint import assign
from .core.redact import printable, redact
from .missing import missing_package
from .missing import result_for as missing_result
from .scanners.interface import ScanContext, Scanner

RESULTS_FORMAT = 1
BUDGET_GRACE = 5.0  # seconds a scan may overrun devsecops_timeout (reaping, parsing)


@dataclasses.dataclass(frozen=True)
class SessionScan:
    """The outcome of every scanner, and the day that baseline expiry is judged against."""

    results: tuple[ScanResult, ...]
    today: datetime.date


class Listener(Protocol):
    """Told when each scanner starts and ends (the terminal's progress lines)."""

    def started(self, scanner: str) -> None: ...

    def finished(self, result: ScanResult) -> None: ...


def run_scanners(
    scanners: Sequence[Scanner], context: ScanContext, listener: Listener | None = None
) -> SessionScan:
    """Run each scanner in its own work folder; a scanner that raises becomes an error result."""
    results = []
    for scanner in scanners:
        if listener is not None:
            listener.started(scanner.name)
        started = time.monotonic()
        workdir = Path(tempfile.mkdtemp(prefix=f"{scanner.name}-", dir=context.workdir))
        scoped = dataclasses.replace(context, workdir=workdir)
        try:
            result = scanner.scan(scoped)
        except Exception as exc:
            result = _failed(scanner.name, exc)
        if result.scanner != scanner.name:
            result = dataclasses.replace(result, scanner=scanner.name)
        took = time.monotonic() - started
        # A scanner with a longer limit of its own (DAST's max_seconds) declares it.
        budget = max(context.timeout, float(getattr(scanner, "time_budget", 0.0)))
        result = _within_budget(result, took, budget)
        # One redaction and escaping step for every scanner, before fingerprints are computed.
        result = sanitise.result(result)
        # The scanner's time, charged to its status item (and shown) even if it did not say.
        result = dataclasses.replace(
            result, findings=tuple(assign(result.findings)), duration=result.duration or took
        )
        if listener is not None:
            listener.finished(result)
        results.append(result)
    return SessionScan(tuple(results), datetime.date.today())


def _failed(name: str, exc: Exception) -> ScanResult:
    """The error result of a scanner that raised: a missing package, or a bug in it."""
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


def save(scan: SessionScan, path: Path) -> None:
    """Write the scan where xdist workers (and nothing else) will read it back."""
    data = to_data(scan)
    # Renamed into place: xdist workers start while the controller scans and wait for the file.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def to_data(scan: SessionScan) -> dict[str, Any]:
    """The scan as JSON-ready data (also what the last-run cache keeps for --collect-only)."""
    return {
        "format": RESULTS_FORMAT,
        "today": scan.today.isoformat(),
        "results": [result.to_dict() for result in scan.results],
    }


def from_data(data: Any) -> SessionScan:
    if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT:
        raise ValueError("written by another pytest-devsecops version")
    return SessionScan(
        tuple(ScanResult.from_dict(item) for item in data["results"]),
        datetime.date.fromisoformat(data["today"]),
    )


def load(path: Path) -> SessionScan:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != RESULTS_FORMAT:
        raise ValueError(f"{path} was written by another pytest-devsecops version")
    return SessionScan(
        tuple(ScanResult.from_dict(item) for item in data["results"]),
        datetime.date.fromisoformat(data["today"]),
    )
