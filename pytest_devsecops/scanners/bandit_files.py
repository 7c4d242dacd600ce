"""Which files bandit is given: our own walk, so every file left out is counted and named."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from ..core.finding import Skipped

PYTHON_SUFFIXES = (".py", ".pyw")
_INTERPRETER = re.compile(r"^(python|pypy)[0-9.]*w?$")


@dataclasses.dataclass(frozen=True)
class FileSet:
    """The files to scan (root-relative name, real path), what was left out, and why."""

    files: tuple[tuple[str, Path], ...]
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = ()


@dataclasses.dataclass
class _Walk:
    root: Path
    excluded_names: frozenset[str]
    default_names: frozenset[str]
    removed_by: Callable[[str], Skipped | None]  # root-relative path -> why the config drops it
    files: dict[Path, str] = dataclasses.field(default_factory=dict)
    skipped: list[Skipped] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    seen_dirs: set[tuple[int, int]] = dataclasses.field(default_factory=set)


def discover(
    root: Path,
    paths: Iterable[Path],
    excludes: Iterable[str],
    default_excludes: Iterable[str],
    removed_by: Callable[[str], Skipped | None] = lambda _path: None,
) -> FileSet:
    """Walk `paths` like bandit's `-r`, but account for everything it does not scan.

    Folders excluded by name are counted ("12 files in app/build/ not scanned"), a folder is a
    virtualenv only when it really is one, symlinked folders are followed once (never out of the
    root, never in a loop), and files with a python shebang are scanned whatever their name.
    """
    default = frozenset(default_excludes)
    walk = _Walk(root.resolve(), frozenset(excludes) | default, default, removed_by)
    for path in paths:
        if path.is_dir():
            _walk_dir(walk, path.resolve(), _rel(walk.root, path.resolve()))
        elif path.exists():
            _add_file(walk, path.resolve(), _rel(walk.root, path.absolute()), explicit=True)
    files = tuple(sorted(((rel, real) for real, rel in walk.files.items()), key=lambda f: f[0]))
    return FileSet(files, tuple(sorted(walk.skipped, key=_skip_key)), tuple(walk.notes))


def is_virtualenv(folder: Path) -> bool:
    """A real virtualenv: `pyvenv.cfg` with an interpreter folder beside it."""
    return (folder / "pyvenv.cfg").is_file() and (
        (folder / "bin" / "python").exists() or (folder / "Scripts").is_dir()
    )


def _walk_dir(walk: _Walk, folder: Path, rel: str) -> None:
    try:
        info = folder.stat()
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        walk.skipped.append(Skipped(rel + "/", f"folder cannot be read: {exc.strerror or exc}"))
        return
    walk.seen_dirs.add((info.st_dev, info.st_ino))
    for entry in entries:
        child_rel = f"{rel}/{entry.name}" if rel else entry.name
        path = Path(entry.path)
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()  # follows links
        except OSError:
            continue
        if is_dir:
            _enter(walk, path, child_rel, is_link)
        elif entry.is_file():
            if is_link:
                target = path.resolve()
                if not _inside(target, walk.root):
                    walk.skipped.append(Skipped(child_rel, "symbolic link out of the project"))
                    continue
                _add_file(walk, target, _rel(walk.root, target))
            else:
                _add_file(walk, path, child_rel)


def _enter(walk: _Walk, path: Path, rel: str, is_link: bool) -> None:
    name = path.name
    reason = ""
    if name in walk.excluded_names or name.endswith(".egg-info"):
        kind = "default exclude" if name in walk.default_names else "devsecops_exclude"
        reason = f"{kind} ({name})" if not name.endswith(".egg-info") else "package metadata"
    elif is_virtualenv(path):
        reason = "virtualenv (pyvenv.cfg)"
    if reason:
        count = _count_python_files(path)
        if count:
            unit = "file" if count == 1 else "files"
            walk.skipped.append(
                Skipped(rel + "/", f"{count} Python {unit} not scanned: {reason}", deliberate=True)
            )
        return
    real = path.resolve()
    if is_link and not _inside(real, walk.root):
        walk.skipped.append(Skipped(rel + "/", "symbolic link out of the project: not followed"))
        return
    if is_link and (real == path.parent.resolve() or real in path.parent.resolve().parents):
        walk.notes.append(f"{rel}/ links to a folder that encloses it: not followed (a loop)")
        return
    try:
        info = real.stat()
    except OSError:
        return
    if (info.st_dev, info.st_ino) in walk.seen_dirs:
        if is_link:
            walk.notes.append(f"{rel}/ links to {_rel(walk.root, real)}/, which is scanned once")
        return
    _walk_dir(walk, real, _rel(walk.root, real) if is_link else rel)


def _add_file(walk: _Walk, path: Path, rel: str, explicit: bool = False) -> None:
    if not (explicit or path.suffix in PYTHON_SUFFIXES or has_python_shebang(path)):
        return
    if path.name == ".bandit":
        return
    removed = walk.removed_by(rel)
    if removed is not None:
        walk.skipped.append(removed)
        return
    walk.files.setdefault(path.resolve(), rel)


def has_python_shebang(path: Path) -> bool:
    """`#!/usr/bin/env python3`, `#!/usr/bin/python3.12 -u`, `#!/usr/bin/env -S pypy3`..."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(256)
    except OSError:
        return False
    if not first.startswith(b"#!"):
        return False
    words = first[2:].decode("utf-8", "replace").split()
    return any(_INTERPRETER.match(word.rsplit("/", 1)[-1]) for word in words[:3])


def _count_python_files(folder: Path) -> int:
    count = 0
    for _dirpath, _dirs, names in os.walk(folder):  # never follows links: no loops
        count += sum(1 for name in names if name.endswith(PYTHON_SUFFIXES))
    return count


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix() if path != root else ""
    except ValueError:
        return path.as_posix()


def _skip_key(skip: Skipped) -> tuple[str, str]:
    return (skip.target, skip.reason)
