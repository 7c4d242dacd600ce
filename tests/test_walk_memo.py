"""The bandit walk is reused while no folder it listed and no file it opened has changed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cache_clock import written_later

from pytest_devsecops.scanners import bandit_files
from pytest_devsecops.scanners.bandit_files import FileSet, discover
from pytest_devsecops.scanners.cache import FileCache
from pytest_devsecops.settings import DEFAULT_EXCLUDES

KEY = {"paths": ["project"]}


def write(path: Path, text: str = "X = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write(root / "app" / "main.py")
    write(root / "app" / "sub" / "util.py")
    write(root / "app" / "tool", "echo not python\n")  # extensionless: opened for a shebang
    write(root / "app" / "build" / "gen.py")  # excluded by name, counted
    write(root / "README.md", "# docs\n")
    return root


def walk(root: Path, memo: FileCache | None = None) -> FileSet:
    return discover(root, [root], DEFAULT_EXCLUDES, DEFAULT_EXCLUDES, memo=memo)


def remembered(root: Path) -> Path:
    """Walk once with a memo, as if the memo were written a few seconds after the files."""
    folder = root.parent / "cache"
    with written_later(folder):
        walk(root, FileCache.open(folder, "bandit-walk", KEY))
    return folder


def test_an_unchanged_tree_is_not_listed_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = walk(project)
    folder = remembered(project)

    def no_listing(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"walked {args[1]} again")

    monkeypatch.setattr(bandit_files, "_walk_dir", no_listing)
    assert walk(project, FileCache.open(folder, "bandit-walk", KEY)) == fresh


CHANGES: dict[str, Callable[[Path], object]] = {
    "a file added": lambda root: write(root / "app" / "sub" / "new.py"),
    "a file deleted": lambda root: (root / "app" / "sub" / "util.py").unlink(),
    "a folder added": lambda root: write(root / "app" / "more" / "deep" / "x.py"),
    "a file renamed": lambda root: (root / "app" / "main.py").rename(root / "app" / "main.txt"),
    "a shebang added": lambda root: write(root / "app" / "tool", "#!/usr/bin/env python3\n"),
    "an excluded folder grew": lambda root: write(root / "app" / "build" / "gen2.py"),
    "a virtualenv appeared": lambda root: (
        write(root / "app" / "sub" / "pyvenv.cfg", "home = /usr\n"),
        write(root / "app" / "sub" / "bin" / "python", ""),
    ),
    "a folder became a link": lambda root: (
        write(root / "elsewhere" / "other.py"),
        os.rename(root / "app" / "sub", root / "old-sub"),
        os.symlink(root / "elsewhere", root / "app" / "sub"),
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_the_walk_would_see_is_seen(project: Path, change: str) -> None:
    folder = remembered(project)
    CHANGES[change](project)
    assert walk(project, FileCache.open(folder, "bandit-walk", KEY)) == walk(project)


def test_a_tree_changed_just_before_the_walk_is_listed_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Written within the racy margin of its folders' last change: not trusted the next time.
    folder = project.parent / "cache"
    walk(project, FileCache.open(folder, "bandit-walk", KEY))
    walked: list[object] = []
    real = bandit_files._walk_dir
    monkeypatch.setattr(
        bandit_files, "_walk_dir", lambda *a, **k: walked.append(a[1]) or real(*a, **k)
    )
    walk(project, FileCache.open(folder, "bandit-walk", KEY))
    assert walked


def test_a_planted_memo_is_ignored(project: Path) -> None:
    folder = remembered(project)
    memo_file = folder / "bandit-walk.cache"
    memo_file.write_bytes(memo_file.read_bytes().replace(b"main.py", b"evil.py"))
    memo = FileCache.open(folder, "bandit-walk", KEY)
    assert "corrupt or was not written on this machine" in memo.notes[0]
    assert walk(project, memo) == walk(project)


def _link_cases(root: Path, outside: Path) -> dict[str, tuple[Callable[[], object], list[Path]]]:
    """Trees whose walk depends on a path no folder signature covers, and the change to it."""
    (root / "lib").mkdir()
    outside.mkdir()
    os.symlink("../lib/new.py", root / "app" / "ext.py")  # dangling until the change
    os.symlink("../vendor", root / "app" / "vendor")  # dangling folder link
    os.symlink(outside / "x.py", root / "app" / "out.py")  # dangling, out of the project
    hop = outside / "hop"
    os.symlink(root / "app" / "main.py", hop)
    os.symlink(hop, root / "app" / "via.py")  # a chain through a link outside
    write(root / "lib" / "thing", "X = 1\n")
    os.symlink("../lib/thing", root / "app" / "thing")
    interpreter = write(outside / "bin" / "python3.99", "")
    write(root / "app" / "env" / "pyvenv.cfg", "home = /usr\n")
    (root / "app" / "env" / "bin").mkdir()
    os.symlink(interpreter, root / "app" / "env" / "bin" / "python")
    write(root / "app" / "env" / "hidden.py", "import pickle\n")

    def retarget_hop() -> None:
        hop.unlink()
        os.symlink(root / "app" / "build" / "gen.py", hop)

    def file_becomes_folder() -> None:
        (root / "lib" / "thing").unlink()
        write(root / "lib" / "thing" / "evil.py")

    app = [root / "app"]
    return {
        "a dangling link's target created": (lambda: write(root / "lib" / "new.py"), app),
        "a dangling folder link's target created": (
            lambda: write(root / "vendor" / "evil.py"),
            app,
        ),
        "a link out of the project comes to life": (lambda: write(outside / "x.py"), [root]),
        "a hop of a link chain retargeted": (retarget_hop, [root]),
        "a linked file becomes a folder": (file_becomes_folder, app),
        "a virtualenv's interpreter removed": (interpreter.unlink, [root]),
    }


LINK_CASES = [
    "a dangling link's target created",
    "a dangling folder link's target created",
    "a link out of the project comes to life",
    "a hop of a link chain retargeted",
    "a linked file becomes a folder",
    "a virtualenv's interpreter removed",
]


@pytest.mark.parametrize("case", LINK_CASES)
def test_a_change_behind_a_link_is_seen(project: Path, tmp_path: Path, case: str) -> None:
    # What a link points at, now or later, is in no folder the walk listed: such a walk is not
    # remembered (a red-team pass found each of these reusing a stale outcome).
    change, paths = _link_cases(project, tmp_path / "outside")[case]
    folder = project.parent / "cache"
    with written_later(folder):
        discover(
            project,
            paths,
            DEFAULT_EXCLUDES,
            DEFAULT_EXCLUDES,
            memo=FileCache.open(folder, "bandit-walk", KEY),
        )
    change()
    memo = FileCache.open(folder, "bandit-walk", KEY)
    reused = discover(project, paths, DEFAULT_EXCLUDES, DEFAULT_EXCLUDES, memo=memo)
    assert reused == discover(project, paths, DEFAULT_EXCLUDES, DEFAULT_EXCLUDES)
