"""bandit settings that would change what is reported: refused, named, or allowed explicitly."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_devsecops.scanners import bandit_config


def add_to_pyproject(project: pytest.Pytester, text: str) -> None:
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n" + text)


def test_a_bandit_baseline_is_refused_and_its_findings_still_shown(
    project: pytest.Pytester,
) -> None:
    (project.path / "old.json").write_text('{"results": []}')
    (project.path / ".bandit").write_text("[bandit]\nbaseline = old.json\n")
    result = project.runpytest("--devsecops", "-rf")
    result.assert_outcomes(passed=1, failed=3, xfailed=1)
    result.stdout.fnmatch_lines(
        ["*.bandit sets a bandit baseline (old.json), which would hide every finding*"]
    )


def test_a_spaced_tool_bandit_table_is_read(project: pytest.Pytester) -> None:
    add_to_pyproject(project, '[ tool . bandit ]\nskips = [ "B602" ]\n')
    result = project.runpytest("--devsecops")
    result.assert_outcomes(passed=1, failed=2, xfailed=1)
    result.stdout.fnmatch_lines(["*configuration removes rules: B602 (skipped by pyproject.toml*"])


def test_rules_removed_by_selecting_tests_are_all_named(tmp_path: Path) -> None:
    (tmp_path / ".bandit").write_text("[bandit]\ntests = B101\n")
    settings = bandit_config.read(tmp_path, None, ("B102",))
    removed = dict(settings.removed_rules)
    assert "B101" not in removed
    assert removed["B602"] == "not in the tests selected by .bandit"
    unallowed = dict(settings.unallowed_rules)
    assert "B102" not in unallowed
    assert "B602" in unallowed


def test_an_exclude_covering_scanned_files_fails_unless_allowed(project: pytest.Pytester) -> None:
    add_to_pyproject(project, '[tool.bandit]\nexclude_dirs = ["app/run.py"]\n')
    result = project.runpytest("--devsecops", "-rf")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["  app/run.py: excluded by 'app/run.py' in pyproject.toml [[]tool.bandit[]]*"]
    )
    allowed = project.runpytest("--devsecops", "-o", "devsecops_bandit_allow_skips=app/run.py")
    allowed.assert_outcomes(passed=2)
    allowed.stdout.fnmatch_lines(["*1 file scanned*, 1 skipped on purpose*complete*"])


def test_output_and_filter_options_are_ignored_with_a_note(project: pytest.Pytester) -> None:
    (project.path / ".bandit").write_text("[bandit]\nlevel = HIGH\nformat = csv\noutput = x.csv\n")
    result = project.runpytest("--devsecops")
    # B404 (low) is still reported: the level filter was not obeyed.
    result.assert_outcomes(passed=2, failed=2, xfailed=1)
    result.stdout.fnmatch_lines(["  note: .bandit sets level = HIGH: ignored*"])
    assert not (project.path / "x.csv").exists()


def test_a_rule_tuned_silent_fails_the_canary_by_name(project: pytest.Pytester) -> None:
    (project.path / "bandit.yaml").write_text(
        "shell_injection:\n  subprocess: []\n  shell: []\n  no_shell: []\n"
    )
    result = project.runpytest("--devsecops", "-o", "devsecops_bandit_config=bandit.yaml")
    result.stdout.fnmatch_lines(["*bandit did not report these rules on its canary sample: B602;*"])
    allowed = project.runpytest(
        "--devsecops",
        "-o",
        "devsecops_bandit_config=bandit.yaml",
        "-o",
        "devsecops_bandit_allow_skips=B602",
    )
    assert "canary sample" not in allowed.stdout.str()
    allowed.assert_outcomes(passed=2, failed=1, xfailed=2)


def test_an_unreadable_bandit_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".bandit").write_text("[other]\nskips = B101\n")
    with pytest.raises(bandit_config.BanditConfigError, match="no \\[bandit\\] section"):
        bandit_config.read(tmp_path, None)


def test_listing_bandits_rules_leaves_pythons_warning_format_alone() -> None:
    import warnings

    before = warnings.formatwarning
    assert bandit_config.all_rules()
    assert warnings.formatwarning is before
