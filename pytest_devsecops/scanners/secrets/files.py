"""Which files the secrets scan covers: what git would commit (or every file), text only."""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from ...core.finding import Skipped
from ...core.redact import printable
from .. import process
from ..cache import stat_signature
from ..interface import ScanContext

MAX_BYTES = 5 * 1024 * 1024  # larger files are data dumps, not configuration: listed as skipped
_SNIFF = 8192
# The digest the result cache records for a binary file: an unchanged one is not sniffed again.
BINARY = "binary"


@dataclasses.dataclass(frozen=True)
class FileSet:
    """Text files to scan (repository-relative) with their bytes, and every file left out."""

    files: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    source: str  # "git" or "walk": how the candidates were listed
    contents: dict[str, bytes] = dataclasses.field(default_factory=dict, repr=False)
    # Files the result cache recognised by their stat signature: not read (name -> digest).
    known: dict[str, str] = dataclasses.field(default_factory=dict)
    signatures: dict[str, list[int]] = dataclasses.field(default_factory=dict, repr=False)
    # Binary files: known unchanged by their signature, or found binary by reading their start.
    binaries_known: list[str] = dataclasses.field(default_factory=list)
    binaries_found: list[str] = dataclasses.field(default_factory=list)


# Given a file's name and lstat, its digest when the cache knows it unchanged, else None.
Recognise = Callable[[str, os.stat_result], "str | None"]


def enumerate_files(
    context: ScanContext, git: Path | None, recognise: Recognise | None = None
) -> FileSet:
    """The text files under `context.paths`, minus excludes, binaries and oversized files.

    Each file is opened at most once: the bytes read to tell text from binary are the bytes
    hashed for the result cache and scanned. A file `recognise` knows unchanged by its stat
    signature is not opened at all (an unchanged rerun costs one lstat a file).
    """
    candidates, source, error = _git_files(context, git) if git else ([], "walk", "")
    if error:
        return FileSet((), (Skipped(".", error),), "git")
    if source == "walk":
        candidates = sorted(set(_walk(context)))
    root = str(context.root)
    listed = FileSet((), (), source)
    skipped: list[Skipped] = []
    excludes = frozenset(context.excludes)
    for relative in candidates:
        # The walk never enters an excluded folder: only git's list needs the full check.
        if relative in excludes or (source == "git" and _excluded(relative, excludes)):
            continue
        data, reason, deliberate = load(listed, relative, os.path.join(root, relative), recognise)
        if data is None and reason:
            skipped.append(Skipped(printable(relative), reason, deliberate))
        elif data is not None:
            listed.contents[relative] = data
    names = tuple(sorted({*listed.contents, *listed.known}))
    return dataclasses.replace(listed, files=names, skipped=tuple(skipped))


def stage(folder: Path, contents: dict[str, bytes]) -> None:
    """Lay out copies of files under `folder` at their repository-relative paths.

    An engine then reads only these, exactly the bytes that were hashed for the cache, and its
    findings keep the repository's paths. A name that would leave the folder is not written:
    no engine reads it, and the coverage check reports it as a gap.
    """
    if folder.exists():
        shutil.rmtree(folder)  # only this run's files: a leftover would be scanned as changed
    for name, data in contents.items():
        target = folder / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


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
        with os.scandir(folder) as listing:  # unsorted: the caller sorts the whole list once
            entries = list(listing)
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


def _excluded(relative: str, excludes: frozenset[str]) -> bool:
    parts = relative.split("/")
    return any(part in excludes for part in parts[:-1]) or relative in excludes


def load(
    listed: FileSet, relative: str, path: str, recognise: Recognise | None = None
) -> tuple[bytes | None, str, bool]:
    """(bytes, '', _) for a scannable file; (None, '', _) for one `recognise` knew unchanged
    (recorded in `listed.known`); else (None, why, whether skipping it is by design)."""
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
    listed.signatures[relative] = stat_signature(info)  # taken before the bytes are read
    digest = recognise(relative, info) if recognise is not None else None
    if digest == BINARY:
        listed.binaries_known.append(relative)
        return None, "binary", True
    if digest is not None:
        listed.known[relative] = digest
        return None, "", False
    try:
        data = read_if_text(path)
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}", False
    if data is None:
        listed.binaries_found.append(relative)
        return None, "binary", True
    return data, "", False
