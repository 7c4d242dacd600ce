"""One place maps each external tool's severity words onto our scale."""

from __future__ import annotations

import pytest

from pytest_devsecops.core.severity import Severity
from pytest_devsecops.scanners import severities


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("LOW", Severity.LOW),
        ("MEDIUM", Severity.MEDIUM),
        ("HIGH", Severity.HIGH),
        ("CRITICAL", Severity.CRITICAL),
        ("UNKNOWN", Severity.MEDIUM),  # unrated never hides below the default gate
        ("nonsense", Severity.MEDIUM),
    ],
)
def test_trivy_levels_map_one_to_one(word: str, expected: Severity) -> None:
    assert severities.trivy(word) is expected


@pytest.mark.parametrize(
    ("severity", "confidence", "expected"),
    [
        ("High", "High", Severity.HIGH),
        ("High", "Medium", Severity.HIGH),
        ("High", "Low", Severity.MEDIUM),  # low confidence: one step down, as for bandit
        ("Medium", "Low", Severity.LOW),
        ("Informational", "High", Severity.INFO),
        ("Low", "Low", Severity.INFO),
    ],
)
def test_zizmor_severity_and_confidence(severity: str, confidence: str, expected: Severity) -> None:
    assert severities.zizmor(severity, confidence) is expected


def test_bandit_moves_one_step_down_at_low_confidence() -> None:
    assert severities.bandit("HIGH", "low") is Severity.MEDIUM
    assert severities.bandit("HIGH", "high") is Severity.HIGH
    assert severities.bandit("weird", "high") is Severity.INFO


def test_no_trivy_run_reads_the_repository_trivy_config(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from pytest_devsecops.scanners import process
    from pytest_devsecops.scanners.image import inventory

    seen: list[list[str]] = []

    def fake_run(argv, timeout, env=None, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(list(argv))
        return process.ProcessOutcome(tuple(argv), None, "", "", start_error="not started")

    monkeypatch.setattr(process, "run", fake_run)
    with pytest.raises(inventory.InventoryError):
        inventory.read_inventory(Path("trivy"), "image.tar", True, tmp_path, 60, "image.tar")
    (argv,) = seen
    assert argv[argv.index("--config") + 1] == ""
    assert argv[argv.index("--ignorefile") + 1] == ""
