"""Where code scanning places results: the repository root, and the file that declares the app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

_APP_KEY = re.compile(r"^[ \t]*devsecops_(app|app_command|target)[ \t]*=", re.MULTILINE)
_APP_FIXTURE = re.compile(r"^[ \t]*(async[ \t]+)?def[ \t]+devsecops_app[ \t]*\(", re.MULTILINE)


def repo_root(start: Path) -> Path | None:
    """The git toplevel above `start` (a `.git` folder, or the file of a worktree), else None.
    Found without running git: the answer is the same and nothing is spawned."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def app_declaration(config: pytest.Config, root: Path, config_file: str) -> tuple[str, int]:
    """The root-relative file and line that name the app under test: a conftest overriding
    `devsecops_app` (the one nearest the root), else the ini key in the config file."""
    conftests = sorted(
        Path(str(getattr(plugin, "__file__", "")))
        for plugin in config.pluginmanager.get_plugins()
        if str(getattr(plugin, "__file__", "")).endswith("conftest.py")
        and hasattr(plugin, "devsecops_app")
    )
    for path in sorted(conftests, key=lambda p: len(p.parts)):
        try:
            relative = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
        return relative, _line_of(path, _APP_FIXTURE)
    if config_file:
        return config_file, _line_of(root / config_file, _APP_KEY)
    return "", 0


def _line_of(path: Path, pattern: re.Pattern[str]) -> int:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 1
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 1
