"""The quick start's promise: the example project scans offline and shows every planted issue."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"


def test_the_example_project_shows_its_planted_findings(pytester: pytest.Pytester) -> None:
    shutil.copytree(
        EXAMPLE, pytester.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".pytest_cache")
    )
    result = pytester.runpytest_subprocess("--devsecops", "-p", "no:cacheprovider")
    # 2 functional tests and 2 status items pass; 3 bandit + 9 dependency findings fail;
    # 3 low-severity bandit findings are reported below the gate.
    result.assert_outcomes(passed=4, failed=12, xfailed=3)
    result.stdout.fnmatch_lines_random(
        [
            "bandit *: 3 files scanned, complete; 6 findings: 3 failed, 3 below-gate*",
            "pip-audit *: 4 dependencies scanned, complete; 9 findings: 9 failed*",
            "FAILED devsecops/bandit::B602[[]shop/admin.py:13[]]*",
            "FAILED devsecops/bandit::B506[[]shop/admin.py:18[]]*",
            "FAILED devsecops/pip-audit::PYSEC-2019-217[[]jinja2==2.10[]]*",
        ]
    )
