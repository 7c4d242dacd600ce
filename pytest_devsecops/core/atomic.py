"""Atomic, locked, compare-and-swap file writes that never follow links or leave the root."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no fcntl; writes are still atomic.
    fcntl = None  # type: ignore[assignment]


class UnsafePathError(Exception):
    """The destination is outside the allowed folder, a link, or not a regular file."""


class ConcurrentEditError(Exception):
    """The file changed on disk since it was read; our version went to `proposed` instead."""

    def __init__(self, path: Path, proposed: Path) -> None:
        self.path, self.proposed = path, proposed
        super().__init__(
            f"{path} changed on disk while pytest was running, so it was not overwritten; "
            f"the update was written to {proposed}. Merge it by hand or rerun the update."
        )


def check_destination(path: Path, root: Path) -> Path:
    """Refuse a destination that resolves outside `root`, is a symlink, or is not a file."""
    resolved_root = root.resolve()
    resolved_parent = path.parent.resolve()
    if resolved_parent != resolved_root and resolved_root not in resolved_parent.parents:
        raise UnsafePathError(f"{path} is outside {root}; refusing to write there")
    if path.is_symlink():
        raise UnsafePathError(f"{path} is a symbolic link; refusing to write through it")
    if path.exists() and not path.is_file():
        raise UnsafePathError(f"{path} exists and is not a regular file")
    return resolved_parent / path.name


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on `folder` so concurrent writers take turns."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temp file beside `path`, fsync it, then rename it over `path`."""
    # An existing file keeps its mode; a new one gets what open() would give it (the umask),
    # not mkstemp's 0600.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_folder(path.parent)


def replace_if_unchanged(path: Path, data: bytes, expected_sha256: str, root: Path) -> None:
    """Replace `path` only if its bytes still hash to `expected_sha256` (empty: must not exist)."""
    target = check_destination(path, root)
    with locked(target.parent):
        current = target.read_bytes() if target.exists() else None
        current_hash = hashlib.sha256(current).hexdigest() if current is not None else ""
        if current_hash != expected_sha256:
            proposed = target.with_name(target.name + ".proposed")
            write_atomic(proposed, data)
            raise ConcurrentEditError(target, proposed)
        write_atomic(target, data)


def _umask() -> int:
    current = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(current)
    return current


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
