"""One severity scale shared by every scanner, and the gate that compares against it."""

from __future__ import annotations

import enum
import functools


@functools.total_ordering
class Severity(enum.Enum):
    """info < low < medium < high < critical, whatever tool reported the finding."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Read a severity name case-insensitively; the error lists the accepted names."""
        wanted = text.strip().lower()
        aliases = {"informational": "info", "moderate": "medium", "warning": "medium"}
        wanted = aliases.get(wanted, wanted)
        for member in cls:
            if member.value == wanted:
                return member
        accepted = ", ".join(member.value for member in cls)
        raise ValueError(f"unknown severity {text!r}; expected one of: {accepted}")

    def lowered(self) -> Severity:
        """One step down the scale (used for low-confidence findings)."""
        return _ORDER[max(self.rank - 1, 0)]

    @property
    def sarif_score(self) -> str:
        """GitHub code scanning's `security-severity` score for this level."""
        return {"info": "0.5", "low": "3.0", "medium": "5.5", "high": "8.0", "critical": "9.5"}[
            self.value
        ]

    @property
    def sarif_level(self) -> str:
        return {"info": "note", "low": "note", "medium": "warning"}.get(self.value, "error")


_ORDER = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]


def from_cvss_score(score: float) -> Severity:
    """Map a CVSS base score to the scale with the bands CVSS itself defines."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO
