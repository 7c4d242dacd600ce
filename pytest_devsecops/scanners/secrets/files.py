"""Which files the secrets scan covers: what git would commit (or every file), text only."""

from __future__ import annotations

import dataclasses
import os
import stat
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
    """Text files to scan (repository-relative) with their bytes, and every file left out."""

    files: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    source: str  # "git" or "walk": how the candidates were listed
    contents: dict[str, bytes] = dataclasses.field(default_factory=dict, repr=False)


def enumerate_files(context: ScanContext, git: Path | None) -> FileSet:
    """The text files under `context.paths`, minus excludes, binaries and oversized files.

    Each file is opened once: the bytes read to tell text from binary are the bytes hashed
    for the result cache and scanned (an unchanged rerun costs one lstat and one read a file).
    """
    candidates, source, error = _git_files(context, git) if git else ([], "walk", "")
    if error:
        return FileSet((), (Skipped(".", error),), "git")
    if source == "walk":
        candidates = sorted(set(_walk(context)))
    root = str(context.root)
    contents: dict[str, bytes] = {}
    skipped: list[Skipped] = []
    for relative in candidates:
        if _excluded(relative, context.excludes):
            continue
        data, reason, deliberate = _load(os.path.join(root, relative))
        if data is None:
            skipped.append(Skipped(printable(relative), reason, deliberate))
        else:
            contents[relative] = data
    return FileSet(tuple(contents), tuple(skipped), source, contents)


def read_text(path: Path) -> str:
    """A text file's content; undecodable bytes are replaced (a secret is ASCII in practice)."""
    return decode(path.read_bytes())


def read_if_text(path: str | Path) -> bytes | None:
    """A file's bytes, or None when its start holds a NUL byte (binary: only that is read)."""
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF)
        if b"\0" in head:
            return None
        return head + handle.read()


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
    for start in context.paths:
        if start.is_file():
            yield context.relative(start)
            continue
        base = context.relative(start)
        yield from _walk_folder(str(start), "" if base == "." else f"{base}/", excluded)


def _walk_folder(folder: str, prefix: str, excluded: set[str]) -> Iterator[str]:
    """Relative names under `folder`, built as strings (no per-file path objects or relpath)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return  # os.walk's behaviour: an unreadable folder is not listed
    for entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            if entry.name not in excluded:
                yield from _walk_folder(entry.path, f"{prefix}{entry.name}/", excluded)
        else:
            yield f"{prefix}{entry.name}"


def _excluded(relative: str, excludes: tuple[str, ...]) -> bool:
    parts = relative.split("/")
    return any(part in excludes for part in parts[:-1]) or relative in excludes


def _load(path: str) -> tuple[bytes | None, str, bool]:
    """(bytes, '', _) for a scannable file; else (None, why, whether skipping it is by design)."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}", False
    if stat.S_ISLNK(info.st_mode):
        return None, "a symbolic link (not followed: it may point outside the project)", True
    if not stat.S_ISREG(info.st_mode):
        return None, "not a regular file (a FIFO, socket or device is never opened)", True
    if info.st_size > MAX_BYTES:
        return (
            None,
            f"over the {MAX_BYTES // (1024 * 1024)} MiB size cap ({info.st_size} bytes)",
            True,
        )
    try:
        data = read_if_text(path)
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}", False
    if data is None:
        return None, "binary", True
    return data, "", False
