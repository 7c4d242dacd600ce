"""Coverage is counted: excluded folders, virtualenvs, symlinks and shebang scripts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_devsecops.scanners.bandit_files import discover, has_python_shebang
from pytest_devsecops.settings import DEFAULT_EXCLUDES


def write(path: Path, text: str = "X = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def names(root: Path) -> list[str]:
    return [rel for rel, _path in discover(root, [root], DEFAULT_EXCLUDES, DEFAULT_EXCLUDES).files]


def test_default_excluded_folders_are_counted_and_named(tmp_path: Path) -> None:
    write(tmp_path / "app" / "main.py")
    for n in range(3):
        write(tmp_path / "app" / "build" / f"gen{n}.py")
    found = discover(tmp_path, [tmp_path], DEFAULT_EXCLUDES, DEFAULT_EXCLUDES)
    assert [rel for rel, _ in found.files] == ["app/main.py"]
    (skip,) = found.skipped
    assert (skip.target, skip.deliberate) == ("app/build/", True)
    assert skip.reason == "3 Python files not scanned: default exclude (build)"


def test_pyvenv_cfg_excludes_only_a_real_virtualenv(tmp_path: Path) -> None:
    write(tmp_path / "env" / "pyvenv.cfg", "home = /usr\n")
    write(tmp_path / "env" / "bin" / "python", "")
    write(tmp_path / "env" / "lib" / "mod.py")
    write(tmp_path / "src" / "env" / "code.py")  # same name elsewhere: scanned
    write(tmp_path / "fake" / "pyvenv.cfg", "home = /usr\n")  # no interpreter beside it
    write(tmp_path / "fake" / "hidden.py")
    assert names(tmp_path) == ["fake/hidden.py", "src/env/code.py"]


def test_symlinked_folders_are_scanned_once_and_loops_end(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "real.py")
    (tmp_path / "app").mkdir()
    os.symlink(tmp_path / "lib", tmp_path / "app" / "linked")
    os.symlink(tmp_path, tmp_path / "lib" / "loop")
    found = discover(tmp_path, [tmp_path / "app"], DEFAULT_EXCLUDES, DEFAULT_EXCLUDES)
    assert [rel for rel, _ in found.files] == ["lib/real.py"]
    assert found.notes == ("lib/loop/ links to a folder that encloses it: not followed (a loop)",)
    write(tmp_path / "app" / "own.py")
    os.symlink(tmp_path / "app", tmp_path / "lib" / "back")
    again = discover(tmp_path, [tmp_path / "app"], DEFAULT_EXCLUDES, DEFAULT_EXCLUDES)
    assert [rel for rel, _ in again.files] == ["app/own.py", "lib/real.py"]
    assert "lib/back/ links to app/, which is scanned once" in again.notes


def test_a_link_out_of_the_project_is_named_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside / "secret.py")
    root = tmp_path / "project"
    write(root / "main.py")
    os.symlink(outside, root / "shared")
    found = discover(root, [root], DEFAULT_EXCLUDES, DEFAULT_EXCLUDES)
    assert [rel for rel, _ in found.files] == ["main.py"]
    (skip,) = found.skipped
    assert skip.target == "shared/"
    assert not skip.deliberate


@pytest.mark.parametrize(
    ("first_line", "python"),
    [
        ("#!/usr/bin/env python3", True),
        ("#!/usr/bin/python3.12 -u", True),
        ("#!/usr/bin/env -S pypy3", True),
        ("#!/bin/sh", False),
        ("#!/bin/sh  # not python", False),
        ("print('#!python')", False),
    ],
)
def test_python_shebangs(tmp_path: Path, first_line: str, python: bool) -> None:
    assert has_python_shebang(write(tmp_path / "tool.sh", first_line + "\n")) is python


def test_a_shebang_script_with_any_extension_is_scanned(project: pytest.Pytester) -> None:
    write(
        project.path / "app" / "deploy.sh",
        "#!/usr/bin/env python3\nimport os\nos.system(input())\n",
    )
    result = project.runpytest("--devsecops", "-v")
    result.stdout.fnmatch_lines(["devsecops/bandit::B605[[]app/deploy.sh:3[]] FAILED*"])


def test_excluded_folders_are_named_in_the_summary(project: pytest.Pytester) -> None:
    write(project.path / "app" / "node_modules" / "x.py", "import os\nos.system(input())\n")
    result = project.runpytest("--devsecops")
    result.assert_outcomes(passed=2, failed=2, xfailed=1)
    result.stdout.fnmatch_lines(["*2 files scanned*, 1 skipped on purpose*, complete*"])
    json_report = project.runpytest("--devsecops", "--devsecops-json=r.json")
    assert (
        "1 Python file not scanned: default exclude (node_modules)"
        in (project.path / "r.json").read_text()
    )
    assert json_report.ret == 1


def test_data_files_are_not_opened_for_a_shebang(tmp_path: Path) -> None:
    # Translations, templates and assets are never scripts: reading each one for a shebang cost
    # more than the rest of a warm run's walk on Django's tree.
    write(tmp_path / "src" / "tool", "#!/usr/bin/env python3\nimport os\n")
    write(tmp_path / "src" / "notes.txt", "#!/usr/bin/env python3\nimport os\n")
    write(tmp_path / "src" / "run.cgi", "#!/usr/bin/python3 -u\nimport os\n")
    found = discover(tmp_path, [tmp_path / "src"], (), ())
    assert [rel for rel, _path in found.files] == ["src/run.cgi", "src/tool"]
