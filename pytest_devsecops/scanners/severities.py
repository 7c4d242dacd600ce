"""Each external tool's severity (and confidence) words mapped onto our one scale, in one place."""

from __future__ import annotations

from ..core.severity import Severity

# trivy says UNKNOWN when a check or advisory states no severity: counted as medium, so that
# "nobody rated it" never hides below the default gate (fail closed).
_TRIVY = {
    "UNKNOWN": Severity.MEDIUM,
    "LOW": Severity.LOW,
    "MEDIUM": Severity.MEDIUM,
    "HIGH": Severity.HIGH,
    "CRITICAL": Severity.CRITICAL,
}

# zizmor has no "critical": its High is the top of its scale and maps to our high.
_ZIZMOR = {
    "unknown": Severity.INFO,
    "informational": Severity.INFO,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
}


def _lower_when_unsure(severity: Severity, confidence: str) -> Severity:
    """One step down the scale when the tool itself has low confidence in the finding."""
    return severity.lowered() if confidence.strip().lower() == "low" else severity


def bandit(level: str, confidence: str) -> Severity:
    """bandit's LOW/MEDIUM/HIGH, one step lower at low confidence."""
    try:
        severity = Severity.parse(level)
    except ValueError:
        severity = Severity.INFO
    return _lower_when_unsure(severity, confidence)


def trivy(level: str) -> Severity:
    """trivy's LOW/MEDIUM/HIGH/CRITICAL 1:1; UNKNOWN (or a word we do not know) is medium."""
    return _TRIVY.get(level.strip().upper(), Severity.MEDIUM)


def zizmor(level: str, confidence: str) -> Severity:
    """zizmor's Informational/Low/Medium/High, one step lower at low confidence (as for bandit)."""
    severity = _ZIZMOR.get(level.strip().lower(), Severity.INFO)
    return _lower_when_unsure(severity, confidence)
