"""Atomic, locked, compare-and-swap file writes that never follow links or leave the root."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

LOCK_TIMEOUT = 120.0  # seconds to wait for another writer of the same folder


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
    """Hold an exclusive lock for `folder` so concurrent writers take turns (any platform).

    The lock file lives in a private per-user folder under the temp dir, not in the project,
    so nothing is left beside the baseline; a waiting writer gives up after LOCK_TIMEOUT with
    a `TimeoutError` (an OSError, reported like any write failure).
    """
    from filelock import FileLock  # only runs that write pay for importing it

    with FileLock(_lock_file(folder), timeout=LOCK_TIMEOUT):
        yield


def _lock_file(folder: Path) -> Path:
    owner = str(os.getuid()) if hasattr(os, "getuid") else "user"
    base = Path(tempfile.gettempdir()) / f"pytest-devsecops-locks-{owner}"
    base.mkdir(mode=0o700, exist_ok=True)
    # Another user's folder (or a link to one) could trick us into locking its files.
    if base.is_symlink() or (hasattr(os, "getuid") and base.stat().st_uid != os.getuid()):
        raise UnsafePathError(f"{base} is not a private folder of this user")
    key = hashlib.sha256(str(folder.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
    return base / f"{key[:32]}.lock"


def _new_file_mode() -> int:
    """What `open()` would give a new file: 0o666 less the umask (mkstemp gives 0o600)."""
    try:  # Linux says it without changing anything
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    # Elsewhere read it by setting it; a restrictive placeholder keeps the race harmless.
    mask = os.umask(0o077)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a temp file beside `path`, fsync it, then rename it over `path`."""
    # An existing file keeps its mode; a new one gets the user's umask, like any new file.
    mode = path.stat().st_mode & 0o777 if path.exists() else _new_file_mode()
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
