from __future__ import annotations

import pytest

from pytest_devsecops.core.severity import Severity, from_cvss_score


def test_the_scale_is_ordered_from_info_to_critical() -> None:
    assert sorted(Severity, reverse=True)[0] is Severity.CRITICAL
    assert Severity.INFO < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HIGH", Severity.HIGH),
        (" medium ", Severity.MEDIUM),
        ("Moderate", Severity.MEDIUM),
        ("Informational", Severity.INFO),
    ],
)
def test_parse_accepts_tool_spellings(text: str, expected: Severity) -> None:
    assert Severity.parse(text) is expected


def test_parse_error_lists_the_accepted_names() -> None:
    with pytest.raises(ValueError, match="info, low, medium, high, critical"):
        Severity.parse("severe")


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (9.8, Severity.CRITICAL),
        (7.0, Severity.HIGH),
        (6.9, Severity.MEDIUM),
        (0.1, Severity.LOW),
        (0.0, Severity.INFO),
    ],
)
def test_cvss_bands(score: float, expected: Severity) -> None:
    assert from_cvss_score(score) is expected


def test_lowered_stops_at_info() -> None:
    assert Severity.HIGH.lowered() is Severity.MEDIUM
    assert Severity.INFO.lowered() is Severity.INFO
