"""Which files the secrets scan covers: what git would commit (or every file), text only."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

from ...core.finding import Skipped
from ...core.redact import printable
from .. import process
from ..interface import ScanContext

MAX_BYTES = 5 * 1024 * 1024  # larger files are data dumps, not configuration: listed as skipped
_SNIFF = 8192


@dataclasses.dataclass(frozen=True)
class FileSet:
    """Text files to scan (repository-relative), and every file left out with the reason."""

    files: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    source: str  # "git" or "walk": how the candidates were listed


def enumerate_files(context: ScanContext, git: Path | None) -> FileSet:
    """The text files under `context.paths`, minus excludes, binaries and oversized files."""
    candidates, source, error = _git_files(context, git) if git else ([], "walk", "")
    if error:
        return FileSet((), (Skipped(".", error),), "git")
    if source == "walk":
        candidates = sorted(set(_walk(context)))
    files: list[str] = []
    skipped: list[Skipped] = []
    for relative in candidates:
        if _excluded(relative, context.excludes):
            continue
        path = context.root / relative
        reason, deliberate = _unscannable(path)
        if reason:
            skipped.append(Skipped(printable(relative), reason, deliberate))
        else:
            files.append(relative)
    return FileSet(tuple(files), tuple(skipped), source)


def read_text(path: Path) -> str:
    """A text file's content; undecodable bytes are replaced (a secret is ASCII in practice)."""
    return decode(read_bytes(path))


def read_bytes(path: Path) -> bytes:
    """A file's bytes, as hashed for the result cache (raises OSError)."""
    return path.read_bytes()


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _git_files(context: ScanContext, git: Path) -> tuple[list[str], str, str]:
    inside = process.run(
        [str(git), "-C", str(context.root), "rev-parse", "--is-inside-work-tree"], context.timeout
    )
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return [], "walk", ""
    targets = [context.relative(path) for path in context.paths]
    argv = [str(git), "-C", str(context.root), "-c", "core.quotePath=false", "ls-files", "-z"]
    argv += ["--cached", "--others", "--exclude-standard", "--", *targets]
    listed = process.run(argv, context.timeout)
    if listed.returncode != 0:
        return [], "git", f"git ls-files failed: {printable(listed.stderr.strip()[-300:])}"
    names = sorted({name for name in listed.stdout.split("\0") if name})
    # --cached lists files deleted from the work tree; submodules are listed as folders.
    return [name for name in names if (context.root / name).is_file()], "git", ""


def _walk(context: ScanContext) -> Iterator[str]:
    excluded = set(context.excludes)
    root = str(context.root)
    for start in context.paths:
        if start.is_file():
            yield context.relative(start)
            continue
        for folder, dirs, names in os.walk(start):
            dirs[:] = sorted(name for name in dirs if name not in excluded)
            # relpath is string work; resolving every file's path costs seconds on big trees.
            base = os.path.relpath(folder, root).replace(os.sep, "/")
            for name in names:
                yield name if base == "." else f"{base}/{name}"


def _excluded(relative: str, excludes: tuple[str, ...]) -> bool:
    parts = relative.split("/")
    return any(part in excludes for part in parts[:-1]) or relative in excludes


def _unscannable(path: Path) -> tuple[str, bool]:
    """('', _) when the file is scannable; else the reason and whether skipping it is by design."""
    if path.is_symlink():
        return "a symbolic link (not followed: it may point outside the project)", True
    if not path.is_file():
        return "not a regular file (a FIFO, socket or device is never opened)", True
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return f"over the {MAX_BYTES // (1024 * 1024)} MiB size cap ({size} bytes)", True
        with path.open("rb") as handle:
            head = handle.read(_SNIFF)
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}", False
    if b"\0" in head:
        return "binary", True
    return "", False
