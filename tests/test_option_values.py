"""Numeric settings: nan, infinity, negative and absurd values are usage errors at start-up."""

from __future__ import annotations

import pytest

from pytest_devsecops.settings import parse_count, parse_max_age, parse_seconds

SECONDS = (
    "devsecops_timeout",
    "devsecops_audit_timeout",
    "devsecops_app_start_timeout",
    "devsecops_dast_max_seconds",
    "devsecops_zap_start_timeout",
)
COUNTS = ("devsecops_dast_max_pages", "devsecops_dast_min_pages", "devsecops_osv_max_age_days")


@pytest.mark.parametrize("key", SECONDS + COUNTS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "1e300", "99999999999", "ten"])
def test_a_bad_number_is_a_usage_error_naming_the_key(
    pytester: pytest.Pytester, key: str, value: str
) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ndevsecops_scanners = ["bandit"]\n')
    result = pytester.runpytest("--devsecops", "-o", f"{key}={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    # Typed keys are first read by pytest (its message), then range-checked by us (ours).
    result.stderr.fnmatch_lines([f"*pytest-devsecops: {key}*"])


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-0", "0", "604801", "1e400"])
def test_seconds_must_be_finite_positive_and_at_most_a_week(text: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        parse_seconds(text)


def test_good_values_still_parse() -> None:
    assert parse_seconds("0.5") == 0.5
    assert parse_seconds("604800") == 604800
    assert parse_count("0") == 0
    assert parse_count("100") == 100


def test_the_database_age_limit_defaults_to_30_days_and_can_be_switched_off() -> None:
    assert parse_max_age("") == 30
    assert parse_max_age("7") == 7
    assert parse_max_age("off") is None
    assert parse_max_age("Never") is None
    with pytest.raises(ValueError, match="devsecops_osv_max_age_days = '-3'"):
        parse_max_age("-3")
