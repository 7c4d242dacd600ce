"""Which files bandit is given: our own walk, so every file left out is counted and named."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from ..core import paths
from ..core.finding import Skipped

PYTHON_SUFFIXES = (".py", ".pyw")
_INTERPRETER = re.compile(r"^(python|pypy)[0-9.]*w?$")
# Files of these kinds are never run through a shebang, so they are not opened to look for one:
# on Django's tree that is 2,700 files (translations, templates, assets) read for nothing.
_NOT_SCRIPT_WORDS = (
    ".po .mo .pot .txt .md .rst .html .htm .xml .json .yml .yaml .toml .cfg "
    ".ini .csv .tsv .js .mjs .cjs .ts .css .scss .map .svg .png .jpg .jpeg "
    ".gif .ico .webp .woff .woff2 .ttf .eot .otf .pdf .zip .gz .bz2 .xz .tar "
    ".whl .pyc .pyo .pyi .so .pyd .dll .dylib .c .h .cpp .rs .go .java "
    ".lock .log .db .sqlite3 .mp3 .mp4 .wav .svgz .typed .in"
)
NOT_SCRIPTS = frozenset(_NOT_SCRIPT_WORDS.split())
VIRTUALENV = "virtualenv (pyvenv.cfg)"


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
    files: dict[str, tuple[str, Path]] = dataclasses.field(default_factory=dict)
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
        real = path.resolve()
        if real.is_dir():
            _walk_dir(walk, str(real), _rel(walk.root, real))
        elif real.is_file():  # named explicitly: scanned whatever its name
            _add_file(walk, real, _rel(walk.root, real))
    files = tuple(sorted(walk.files.values(), key=lambda item: item[0]))
    return FileSet(files, tuple(sorted(walk.skipped, key=_skip_key)), tuple(walk.notes))


def is_virtualenv(folder: Path) -> bool:
    """A real virtualenv: `pyvenv.cfg` with an interpreter folder beside it."""
    return (folder / "pyvenv.cfg").is_file() and (
        (folder / "bin" / "python").exists() or (folder / "Scripts").is_dir()
    )


def _walk_dir(
    walk: _Walk, folder: str, rel: str, info: os.stat_result | None = None, nested: bool = False
) -> None:
    # Plain strings and DirEntry caches: this loop runs once per file of the project, and the
    # system calls per folder (one listing, one stat) are what a warm run's walk costs.
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
        info = info or os.stat(folder)
    except OSError as exc:
        if nested and is_virtualenv(Path(folder)):  # unlistable, but a virtualenv all the same
            _skip_folder(walk, folder, rel, VIRTUALENV)
        else:
            walk.skipped.append(Skipped(rel + "/", f"folder cannot be read: {exc.strerror or exc}"))
        return
    # A folder the project contains is left out when it is a virtualenv (a folder it was asked
    # to scan by name is scanned whatever it is); its own listing says so, no extra stat.
    if nested and any(e.name == "pyvenv.cfg" for e in entries) and is_virtualenv(Path(folder)):
        _skip_folder(walk, folder, rel, VIRTUALENV)
        return
    walk.seen_dirs.add((info.st_dev, info.st_ino))
    prefix = rel + "/" if rel else ""
    for entry in entries:
        name = entry.name
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()  # follows links
            is_file = not is_dir and entry.is_file()
        except OSError:
            continue
        if is_dir:
            _enter(walk, entry.path, prefix + name, is_link)
        elif is_file and is_link:
            target = Path(entry.path).resolve()
            if not _inside(target, walk.root):
                walk.skipped.append(Skipped(prefix + name, "symbolic link out of the project"))
            else:
                _add_file(walk, target, _rel(walk.root, target))
        elif is_file and (name.endswith(PYTHON_SUFFIXES) or _may_be_script(name, entry.path)):
            _add_file(walk, Path(entry.path), prefix + name)


def _enter(walk: _Walk, path: str, rel: str, is_link: bool) -> None:
    name = os.path.basename(path)
    if name in walk.excluded_names or name.endswith(".egg-info"):
        kind = "default exclude" if name in walk.default_names else "devsecops_exclude"
        reason = f"{kind} ({name})" if not name.endswith(".egg-info") else "package metadata"
        _skip_folder(walk, path, rel, reason)
        return
    if not is_link:
        try:
            info = os.stat(path)
        except OSError:
            return
        if (info.st_dev, info.st_ino) not in walk.seen_dirs:  # else: reached by a link before
            _walk_dir(walk, path, rel, info, nested=True)  # one stat per folder, not two
        return
    if is_virtualenv(Path(path)):  # named under the link, as any skipped folder is
        _skip_folder(walk, path, rel, VIRTUALENV)
        return
    real = Path(path).resolve()
    parent = Path(path).parent.resolve()
    if not _inside(real, walk.root):
        walk.skipped.append(Skipped(rel + "/", "symbolic link out of the project: not followed"))
        return
    if real == parent or real in parent.parents:
        walk.notes.append(f"{rel}/ links to a folder that encloses it: not followed (a loop)")
        return
    try:
        info = real.stat()
    except OSError:
        return
    if (info.st_dev, info.st_ino) in walk.seen_dirs:
        walk.notes.append(f"{rel}/ links to {_rel(walk.root, real)}/, which is scanned once")
        return
    _walk_dir(walk, str(real), _rel(walk.root, real), info, nested=True)


def _skip_folder(walk: _Walk, path: str, rel: str, reason: str) -> None:
    count = _count_python_files(path)
    if count:
        unit = "file" if count == 1 else "files"
        walk.skipped.append(
            Skipped(rel + "/", f"{count} Python {unit} not scanned: {reason}", deliberate=True)
        )


def _add_file(walk: _Walk, path: Path, rel: str) -> None:
    if path.name == ".bandit":
        return
    removed = walk.removed_by(rel)
    if removed is not None:
        walk.skipped.append(removed)
        return
    walk.files.setdefault(str(path), (rel, path))


def _may_be_script(name: str, path: str) -> bool:
    suffix = os.path.splitext(name)[1].lower()
    return suffix not in NOT_SCRIPTS and has_python_shebang(path)


def has_python_shebang(path: str | Path) -> bool:
    """`#!/usr/bin/env python3`, `#!/usr/bin/python3.12 -u`, `#!/usr/bin/env -S pypy3`..."""
    try:
        paths.checked_file(Path(path))  # a FIFO named `run` would block open() forever
        with open(path, "rb") as handle:
            first = handle.readline(256)
    except (OSError, paths.PathRefused):
        return False
    if not first.startswith(b"#!"):
        return False
    words = first[2:].decode("utf-8", "replace").split()
    return any(_INTERPRETER.match(word.rsplit("/", 1)[-1]) for word in words[:3])


def _count_python_files(folder: str) -> int:
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
