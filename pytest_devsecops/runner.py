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

from .core import sanitise
from .core.finding import ScanResult
from .core.fingerprint import assign
from .core.redact import printable, redact
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
        # One redaction and escaping step for every scanner, before fingerprints are computed.
        result = sanitise.result(result)
        results.append(dataclasses.replace(result, findings=tuple(assign(result.findings))))
    return SessionScan(tuple(results), datetime.date.today())


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
