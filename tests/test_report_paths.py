"""Reports are written where asked, inside the project, unless an absolute path is typed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path.parent / f"{tmp_path.name}-outside"
    folder.mkdir()
    return folder


def test_a_report_through_a_symlinked_folder_is_refused(
    project: pytest.Pytester, outside: Path
) -> None:
    (project.path / "reports").symlink_to(outside, target_is_directory=True)
    result = project.runpytest("--devsecops", "--devsecops-json=reports/r.json")
    result.stdout.fnmatch_lines(["*could not write*reports/r.json*outside*absolute path*"])
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    assert list(outside.iterdir()) == []


def test_addopts_cannot_send_a_report_outside(project: pytest.Pytester, outside: Path) -> None:
    (project.path / "pytest.ini").write_text(
        f"[pytest]\naddopts = --devsecops-json={outside / 'r.json'}\n"
        "devsecops_scanners = bandit\ndevsecops_paths = app\n"
    )
    result = project.runpytest("--devsecops")
    assert "could not write" in result.stdout.str()
    assert list(outside.iterdir()) == []


def test_an_absolute_path_on_the_command_line_is_honoured(
    project: pytest.Pytester, outside: Path
) -> None:
    result = project.runpytest("--devsecops", f"--devsecops-json={outside / 'r.json'}")
    assert "could not write" not in result.stdout.str()
    assert (outside / "r.json").is_file()


def test_missing_folders_are_created_inside_the_project_only(
    project: pytest.Pytester, outside: Path
) -> None:
    result = project.runpytest(
        "--devsecops",
        "--devsecops-json=build/reports/r.json",
        f"--devsecops-sarif={outside / 'new' / 'r.sarif'}",
    )
    assert (project.path / "build" / "reports" / "r.json").is_file()
    result.stdout.fnmatch_lines(["*could not write*new*does not exist*not created*"])
    assert not (outside / "new").exists()


def test_reports_are_created_with_the_users_umask(project: pytest.Pytester) -> None:
    previous = os.umask(0o027)
    try:
        project.runpytest("--devsecops", "--devsecops-json=r.json")
    finally:
        os.umask(previous)
    assert (project.path / "r.json").stat().st_mode & 0o777 == 0o640
