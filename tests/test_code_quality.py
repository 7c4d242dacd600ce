"""Our own code passes ruff (with the bandit `S` rules) and mypy --strict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_tool(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_check_and_format() -> None:
    pytest.importorskip("ruff", reason="ruff comes with the [test] extra")
    check = run_tool("ruff", "check", "pytest_devsecops", "tests", "benchmarks")
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = run_tool("ruff", "format", "--check", "pytest_devsecops", "tests", "benchmarks")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict() -> None:
    pytest.importorskip("mypy", reason="mypy comes with the [test] extra")
    result = run_tool("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
