"""The `sarif` scanner: findings of other tools (CodeQL, semgrep, a bug-bounty report) as ours.

Every result of every run becomes a finding `<tool>/<ruleId>` at its repository location, so the
baseline, the gate, the policy and every report apply to it. A file that is not SARIF 2.1.0, or
a result that points outside the repository, is a coverage gap naming the file: never ignored.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.finding import Coverage, Finding, ScanResult, Skipped
from .interface import ScanContext
from .sarif_findings import OutsideRepository, findings_of_run
from .sarif_validate import InvalidSarif, validate

MAX_BYTES = 50 * 1024 * 1024


class SarifImportScanner:
    """Imports the SARIF files matched by `devsecops_import` globs (relative to the rootdir)."""

    name = "sarif"

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns

    def scan(self, context: ScanContext) -> ScanResult:
        started = time.monotonic()
        files, unmatched, gaps = self._files(context.root)
        findings: list[Finding] = []
        scanned, notes = [], []
        for path in files:
            relative = context.relative(path)
            try:
                imported, outside, tools = _import(path, relative, context.root)
            except InvalidSarif as exc:
                gaps.append(Skipped(relative, f"not valid SARIF 2.1.0: {exc}"))
                continue
            findings.extend(imported)
            scanned.append(relative)
            notes.append(f"{relative}: {', '.join(tools) or 'no runs'}; {len(imported)} results")
            if outside:
                gaps.append(
                    Skipped(
                        relative,
                        f"{len(outside)} results point outside the repository: "
                        + ", ".join(outside[:3]),
                    )
                )
        return ScanResult(
            self.name,
            "sarif-import",
            __version__,
            tuple(findings),
            Coverage(
                requested=tuple(context.relative(path) for path in files) + unmatched,
                scanned=tuple(scanned),
                skipped=tuple(gaps),
                unit="SARIF files",
            ),
            hint="fix or regenerate the named SARIF file, or remove it from devsecops_import"
            if gaps
            else "",
            notes=tuple(notes),
            duration=time.monotonic() - started,
        )

    def _files(self, root: Path) -> tuple[list[Path], tuple[str, ...], list[Skipped]]:
        """The matched files, the patterns that matched none, and why those count as gaps."""
        found: dict[Path, None] = {}
        gaps = []
        for pattern in self.patterns:
            if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
                gaps.append(Skipped(pattern, "import globs must stay inside the rootdir"))
                continue
            matched = sorted(path for path in root.glob(pattern) if path.is_file())
            if not matched:
                gaps.append(
                    Skipped(
                        pattern, "matches no file (an import that finds nothing proves nothing)"
                    )
                )
            for path in matched:
                found.setdefault(path, None)
        return list(found), tuple(gap.target for gap in gaps), gaps


def _import(path: Path, relative: str, root: Path) -> tuple[list[Finding], list[str], list[str]]:
    """Findings of one file, the results pointing outside `root`, and the tools that wrote it."""
    if not _inside(path.resolve(), root.resolve()):
        raise InvalidSarif("the file is a link to outside the repository")
    if path.stat().st_size > MAX_BYTES:
        raise InvalidSarif(f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        log: Any = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidSarif(f"not JSON: {exc}") from None
    validate(log)
    findings: list[Finding] = []
    outside: list[str] = []
    tools = []
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        tools.append(f"{driver['name']} {driver.get('version', '')}".strip())
        for finding in findings_of_run(run, relative, root):
            if isinstance(finding, OutsideRepository):
                outside.append(str(finding))
            else:
                findings.append(finding)
    return findings, outside, tools


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
