"""The reporter contract and the one frozen `Report` every reporter renders."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Protocol

from ..core.finding import ScanResult
from ..core.policy import Decision, Verdict

OUTCOME_WORDS = {
    Verdict.NEW: "failed",
    Verdict.ACCEPTED: "baselined",
    Verdict.BELOW_GATE: "below-gate",
    Verdict.EXPIRED: "expired",
    Verdict.STALE: "stale",
    Verdict.IGNORED: "ignored",
    Verdict.REFUSED: "refused",
}


@dataclasses.dataclass(frozen=True)
class Report:
    """A finished run: what each scanner did and what was decided about each finding."""

    root: Path
    baseline: str
    fail_on: str
    plugin_version: str
    results: tuple[ScanResult, ...]
    decisions: tuple[Decision, ...]
    # Where files are placed for code scanning: the repository root (git toplevel, else root).
    repo_root: Path | None = None
    config_file: str = ""  # the pytest config file, root-relative ("" when there is none)
    app_declared_in: tuple[str, int] = ("", 0)  # root-relative file and line naming the app

    @property
    def source_root(self) -> Path:
        return self.repo_root or self.root

    def repo_path(self, path: str) -> str:
        """A root-relative path as a repository-relative URI path (forward slashes)."""
        try:
            prefix = self.root.resolve().relative_to(self.source_root.resolve()).as_posix()
        except ValueError:
            prefix = "."
        return path if prefix == "." else f"{prefix}/{path}"

    def decisions_for(self, scanner: str) -> list[Decision]:
        return [decision for decision in self.decisions if decision.scanner == scanner]


class Reporter(Protocol):
    """Turns a report into the text of one file; pure, so it is trivially testable."""

    def render(self, report: Report) -> str: ...
