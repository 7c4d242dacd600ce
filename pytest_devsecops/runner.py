"""Run the selected scanners once and hand their results around (to xdist workers too)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .core.finding import ScanResult
from .core.fingerprint import assign
from .core.redact import printable, redact
from .scanners.interface import ScanContext, Scanner

RESULTS_FORMAT = 1
HANG_GRACE_SECONDS = 30.0


@dataclasses.dataclass(frozen=True)
class SessionScan:
    """The outcome of every scanner, and the day that baseline expiry is judged against."""

    results: tuple[ScanResult, ...]
    today: datetime.date
    duration: float = 0.0  # wall time of the whole scan (the scanners ran side by side)

    def timing(self) -> str:
        """`scan took 8.1s (bandit 8.0s, pip-audit 2.1s side by side)`, for the summary."""
        if not self.results:
            return ""
        each = ", ".join(f"{r.scanner} {r.duration:.1f}s" for r in self.results)
        together = " side by side" if len(self.results) > 1 else ""
        return f"scan took {self.duration:.1f}s ({each}{together})"


def run_scanners(scanners: Sequence[Scanner], context: ScanContext) -> SessionScan:
    """Run the scanners side by side, each in its own work folder; results in their order.

    A scanner that raises, or does not finish within its timeout (plus a grace period for its
    own clean-up), becomes an error result; the others are not affected.
    """
    started = time.monotonic()
    runs = [_Run(scanner, context) for scanner in scanners]
    for run in runs:
        run.thread.start()
    deadline = started + context.timeout + HANG_GRACE_SECONDS
    results = []
    for run in runs:
        run.thread.join(max(0.0, deadline - time.monotonic()))
        result = run.result if run.result is not None else _hung(run.scanner, context.timeout)
        if result.scanner != run.scanner.name:
            result = dataclasses.replace(result, scanner=run.scanner.name)
        results.append(dataclasses.replace(result, findings=tuple(assign(result.findings))))
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
            trace = printable(redact("".join(traceback.format_exception(exc)[-6:])))
            result = ScanResult(
                self.scanner.name,
                self.scanner.name,
                "",
                error=f"the scanner raised {exc!r}\n{trace}",
                hint="this is a bug in the scanner plugin; please report it with the trace",
            )
        if not result.duration:
            result = dataclasses.replace(result, duration=time.monotonic() - started)
        self.result = result


def _hung(scanner: Scanner, timeout: float) -> ScanResult:
    return ScanResult(
        scanner.name,
        scanner.name,
        "",
        error=(
            f"the scanner did not finish within devsecops_timeout ({timeout:g}s) plus "
            f"{HANG_GRACE_SECONDS:g}s; it was abandoned and its results are unknown"
        ),
        hint="raise devsecops_timeout, or report the hang to the scanner's authors",
        duration=timeout + HANG_GRACE_SECONDS,
    )


def save(scan: SessionScan, path: Path) -> None:
    """Write the scan where xdist workers (and nothing else) will read it back."""
    data: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "today": scan.today.isoformat(),
        "duration": scan.duration,
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
        float(data.get("duration", 0.0)),
    )
