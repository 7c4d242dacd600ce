"""Run the selected scanners once and hand their results around (to xdist workers too)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .core.finding import ScanResult
from .core.fingerprint import assign
from .core.redact import printable, redact
from .missing import missing_package
from .missing import result_for as missing_result
from .scanners.interface import ScanContext, Scanner

RESULTS_FORMAT = 1


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
        try:
            result = scanner.scan(scoped)
        except Exception as exc:
            result = _failed(scanner.name, exc)
        if result.scanner != scanner.name:
            result = dataclasses.replace(result, scanner=scanner.name)
        results.append(dataclasses.replace(result, findings=tuple(assign(result.findings))))
    return SessionScan(tuple(results), datetime.date.today())


def _failed(name: str, exc: Exception) -> ScanResult:
    """The error result of a scanner that raised: a missing package, or a bug in it."""
    package = missing_package(exc)
    if package:
        return missing_result(name, package)
    trace = printable(redact("".join(traceback.format_exception(exc)[-6:])))
    return ScanResult(
        name,
        name,
        "",
        error=f"the scanner raised {exc!r}\n{trace}",
        hint="this is a bug in the scanner plugin; please report it with the trace",
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
