"""Which files bandit is pointed at: its config file, virtualenvs to skip, shebang scripts."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from ..core import paths


def pyproject_with_bandit(root: Path) -> Path | None:
    pyproject = root / "pyproject.toml"
    try:
        # A pyproject.toml linked to a FIFO or to a file outside the project is not read.
        text = paths.read_bytes(pyproject, 8 * 1024 * 1024, root, "pyproject.toml").decode()
    except (OSError, UnicodeDecodeError, paths.PathRefused):
        return None
    return pyproject if re.search(r"^\[tool\.bandit[.\]]", text, re.MULTILINE) else None


def virtualenvs(paths: tuple[Path, ...]) -> list[str]:
    """Folders directly under the scanned paths that are virtualenvs, whatever their name."""
    found = []
    for base in paths:
        if base.is_dir():
            found += [child.name for child in base.iterdir() if (child / "pyvenv.cfg").is_file()]
    return sorted(set(found))


def python_scripts(paths: tuple[Path, ...], excludes: list[str]) -> Iterator[Path]:
    """Extension-less files with a python shebang, which bandit's own walk would skip."""
    skip = set(excludes)
    for base in paths:
        if not base.is_dir():
            continue
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(
                name for name in dirs if name not in skip and not name.endswith(".egg-info")
            )
            for name in sorted(files):
                if "." not in name and _has_python_shebang(Path(folder, name)):
                    yield Path(folder, name).resolve()


def _has_python_shebang(path: Path) -> bool:
    try:
        paths.checked_file(path)  # a FIFO named `run` would block open() forever
        with path.open("rb") as handle:
            first = handle.readline(200)
    except (OSError, paths.PathRefused):
        return False
    return first.startswith(b"#!") and b"python" in first
