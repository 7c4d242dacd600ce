"""Frozen value types that cross every boundary: findings, locations, coverage, scan results."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from .severity import Severity


@dataclasses.dataclass(frozen=True)
class Location:
    """Where a finding is: a repository-relative path and line, or a URL (DAST)."""

    path: str = ""
    line: int = 0
    column: int = 0
    url: str = ""
    method: str = ""
    param: str = ""

    def describe(self) -> str:
        if self.url:
            parts = [self.method, self.url] + ([f"param {self.param}"] if self.param else [])
            return " ".join(part for part in parts if part)
        if self.path == ".":
            return ". (the repository)"  # e.g. a commit: no file to point at
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclasses.dataclass(frozen=True)
class Finding:
    """One security finding from one scanner, already normalised to the common scale.

    `identity` is what makes two findings "the same" across runs (never a line number);
    `fingerprint` is filled in by `core.fingerprint.assign` once all findings of a run are known.
    """

    scanner: str
    rule: str
    title: str
    severity: Severity
    location: Location
    identity: str
    confidence: str = ""
    cwe: int | None = None
    snippet: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    fingerprint: str = ""
    label: str = ""
    details: tuple[tuple[str, str], ...] = ()
    # "" follows the gate; "fail" always fails, "report" never does (a rules file said so).
    policy: str = ""

    @property
    def item_label(self) -> str:
        """The bracketed part of the node id, e.g. `app/run.py:14`."""
        return self.label or self.location.describe()

    @property
    def baseline_path(self) -> str:
        """What a baseline entry shows as `path`: the file, or for a URL finding its label."""
        return self.item_label if self.location.url else self.location.path

    def to_dict(self) -> dict[str, Any]:
        # Field by field, not dataclasses.asdict: every value is immutable, and asdict's deep
        # copy was a tenth of a warm run's time on a project with hundreds of findings.
        data = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        data["location"] = {
            field.name: getattr(self.location, field.name)
            for field in dataclasses.fields(self.location)
        }
        data["severity"] = self.severity.value
        data["references"] = list(self.references)
        data["details"] = [list(pair) for pair in self.details]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        fields = dict(data)
        fields["severity"] = Severity.parse(fields["severity"])
        fields["location"] = Location(**fields["location"])
        fields["references"] = tuple(fields.get("references", ()))
        fields["details"] = tuple(tuple(pair) for pair in fields.get("details", ()))
        return cls(**fields)


@dataclasses.dataclass(frozen=True)
class Component:
    """A third-party package the scan looked at (for the SBOM), with where it is declared."""

    name: str
    version: str
    purl: str
    path: str = ""
    line: int = 0


@dataclasses.dataclass(frozen=True)
class Skipped:
    """Something the scanner was asked to cover and did not; `deliberate` when the user said so."""

    target: str
    reason: str
    deliberate: bool = False


@dataclasses.dataclass(frozen=True)
class Coverage:
    """What a scan was asked to look at, what it looked at, and what it could not."""

    requested: tuple[str, ...] = ()
    scanned: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    unit: str = "files"

    @property
    def gaps(self) -> tuple[Skipped, ...]:
        return tuple(skip for skip in self.skipped if not skip.deliberate)


@dataclasses.dataclass(frozen=True)
class ScanResult:
    """Everything one scanner produced in one session; `error` set means the scan did not finish."""

    scanner: str
    tool: str
    version: str
    findings: tuple[Finding, ...] = ()
    coverage: Coverage = Coverage()
    error: str = ""
    hint: str = ""
    notes: tuple[str, ...] = ()
    duration: float = 0.0
    components: tuple[Component, ...] = ()
    # The scanner did not run (its tool is missing) and was not named explicitly: why, and
    # how to install it. Its status item is skipped, never passed.
    unavailable: str = ""
    # Findings and coverage are final, but a check of the tool itself is still running (bandit's
    # canary): this returns the whole result once it is done. Never serialised; a result with
    # it set is never complete, so nothing can pass on it by mistake.
    pending: Callable[[], ScanResult] | None = dataclasses.field(
        default=None, compare=False, repr=False
    )

    @property
    def complete(self) -> bool:
        """True only when the scan ran and covered everything it was asked to."""
        return (
            not self.error
            and not self.unavailable
            and not self.coverage.gaps
            and self.pending is None
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "scanner": self.scanner,
            "tool": self.tool,
            "version": self.version,
            "findings": [finding.to_dict() for finding in self.findings],
            "coverage": {
                "requested": list(self.coverage.requested),
                "scanned": list(self.coverage.scanned),
                "skipped": [dataclasses.asdict(skip) for skip in self.coverage.skipped],
                "unit": self.coverage.unit,
            },
            "error": self.error,
            "hint": self.hint,
            "notes": list(self.notes),
            "duration": self.duration,
            "components": [dataclasses.asdict(component) for component in self.components],
            "unavailable": self.unavailable,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScanResult:
        coverage = data["coverage"]
        return cls(
            scanner=data["scanner"],
            tool=data["tool"],
            version=data["version"],
            findings=tuple(Finding.from_dict(item) for item in data["findings"]),
            coverage=Coverage(
                requested=tuple(coverage["requested"]),
                scanned=tuple(coverage["scanned"]),
                skipped=tuple(Skipped(**skip) for skip in coverage["skipped"]),
                unit=coverage["unit"],
            ),
            error=data["error"],
            hint=data["hint"],
            notes=tuple(data["notes"]),
            duration=data["duration"],
            components=tuple(Component(**item) for item in data.get("components", ())),
            unavailable=data.get("unavailable", ""),
        )
