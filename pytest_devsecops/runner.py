"""Run the selected scanners once and hand their results around (to xdist workers too)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .core import sanitise
from .core.finding import ScanResult
from .core.fingerprint import assign
from .core.redact import printable, redact
from .scanners.interface import ScanContext, Scanner

RESULTS_FORMAT = 1
BUDGET_GRACE = 5.0  # seconds a scan may overrun devsecops_timeout (reaping, parsing)


@dataclasses.dataclass(frozen=True)
class SessionScan:
    """The outcome of every scanner, and the day that baseline expiry is judged against."""

    results: tuple[ScanResult, ...]
    today: datetime.date


def run_scanners(scanners: Sequence[Scanner], context: ScanContext) -> SessionScan:
    """Run each scanner in its own work folder; a scanner that raises becomes an error result."""
    results = []
    for scanner in scanners:
        workdir = Path(tempfile.mkdtemp(prefix=f"{scanner.name}-", dir=context.workdir))
        scoped = dataclasses.replace(context, workdir=workdir)
        started = time.monotonic()
        try:
            result = scanner.scan(scoped)
        except Exception as exc:
            trace = printable(redact("".join(traceback.format_exception(exc)[-6:])), multiline=True)
            result = ScanResult(
                scanner.name,
                scanner.name,
                "",
                error=f"the scanner raised {printable(redact(repr(exc)))}\n{trace}",
                hint="this is a bug in the scanner plugin; please report it with the trace",
            )
        if result.scanner != scanner.name:
            result = dataclasses.replace(result, scanner=scanner.name)
        # A scanner with a longer limit of its own (DAST's max_seconds) declares it.
        budget = max(context.timeout, float(getattr(scanner, "time_budget", 0.0)))
        result = _within_budget(result, time.monotonic() - started, budget)
        # One redaction and escaping step for every scanner, before fingerprints are computed.
        result = sanitise.result(result)
        results.append(dataclasses.replace(result, findings=tuple(assign(result.findings))))
    return SessionScan(tuple(results), datetime.date.today())


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
    data: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "today": scan.today.isoformat(),
        "results": [result.to_dict() for result in scan.results],
    }
    path.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")


def load(path: Path) -> SessionScan:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != RESULTS_FORMAT:
        raise ValueError(f"{path} was written by another pytest-devsecops version")
    return SessionScan(
        tuple(ScanResult.from_dict(item) for item in data["results"]),
        datetime.date.fromisoformat(data["today"]),
    )
