"""Installed is not enabled: without --devsecops a suite behaves exactly as before."""

from __future__ import annotations

import re

import pytest


def outcome_lines(result: pytest.RunResult) -> list[str]:
    """Output from collection on: the header (platform, plugin list, which may wrap onto more
    lines) legitimately differs, and so does the timing."""
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if line.startswith(("collecting", "collected")))
    return [re.sub(r" in \d+\.\d+s", "", line) for line in lines[start:]]


def test_not_enabled_means_nothing_changes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="""
        import pytest
        def test_ok(): pass
        def test_bad(): assert 0
        @pytest.mark.xfail(strict=True)
        def test_x(): assert 0
        """
    )
    (pytester.path / "vulnerable.py").write_text("import os\nos.system(input())\n")
    with_plugin = pytester.runpytest("-v", "-rA")
    without_plugin = pytester.runpytest("-v", "-rA", "-p", "no:devsecops")
    with_plugin.assert_outcomes(passed=1, failed=1, xfailed=1)
    assert outcome_lines(with_plugin) == outcome_lines(without_plugin)
    assert "devsecops" not in "\n".join(outcome_lines(with_plugin))


def test_the_ini_key_switches_it_on(project: pytest.Pytester) -> None:
    project.runpytest("-o", "devsecops=true").assert_outcomes(passed=2, failed=2, xfailed=1)


def test_disabled_by_p_no(project: pytest.Pytester) -> None:
    project.runpytest("-o", "devsecops=true", "-p", "no:devsecops").assert_outcomes(passed=1)


def test_a_bad_fail_on_names_the_accepted_values(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops", "--devsecops-fail-on", "severe")
    result.stderr.fnmatch_lines(["*unknown severity 'severe'; expected one of: info, low*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_an_unknown_scanner_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops", "--devsecops-scanners", "nope")
    result.stderr.fnmatch_lines(["*unknown scanner 'nope'; registered scanners: bandit*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR
