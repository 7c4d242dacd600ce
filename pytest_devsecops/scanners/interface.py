"""The scanner contract: a name and a `scan(context)` that returns findings and coverage."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..core.finding import ScanResult


@dataclasses.dataclass(frozen=True)
class ScanContext:
    """What every scanner is told about the project and the run."""

    root: Path
    paths: tuple[Path, ...]
    excludes: tuple[str, ...]
    timeout: float
    workdir: Path
    cache_dir: Path | None = None  # kept between runs (under .pytest_cache); None: no cache
    cache_read: bool = True  # False after --cache-clear: results are rebuilt, then kept
    jobs: int = 1  # worker processes a scanner may use

    def relative(self, path: str | Path) -> str:
        """A path as shown to users: relative to the root, with forward slashes."""
        candidate = Path(path)
        try:
            return candidate.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return candidate.as_posix()


@runtime_checkable
class Scanner(Protocol):
    """A security scanner; `scan` reports tool problems in its result instead of raising."""

    name: str

    def scan(self, context: ScanContext) -> ScanResult: ...
