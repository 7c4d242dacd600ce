"""Resolve a path named by an untrusted file and check it stays in the project and is a plain file.

A requirements file, an OSV record or an imported SARIF log can name (or be) a symlink to
anything: `/proc/self/environ`, a FIFO that blocks the reader forever, `~/.ssh/id_rsa`. Every
reader of such a path goes through `checked_file` (and `read_bytes` to open it).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# Pseudo-filesystems: their "regular" files are the kernel's or another process's state.
_PSEUDO_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))


class PathRefused(Exception):
    """The path leaves the allowed folder or is not a regular file; the message names it."""


def is_inside(path: Path, folder: Path) -> bool:
    """Whether `path` (resolved, symlinks followed) is `folder` or inside it."""
    resolved, base = path.resolve(), folder.resolve()
    return resolved == base or base in resolved.parents


def checked_file(path: Path, root: Path | None = None, what: str = "file") -> Path:
    """The resolved `path` if it is a regular file inside `root` (when given); never opens it.

    Raises PathRefused naming the path and what it resolved to: outside `root`, a FIFO, a
    socket, a device, a folder, a file in /proc, /sys or /dev, or missing.
    """
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # missing, a link loop, unreadable folder
        raise PathRefused(f"{what} {path} cannot be resolved: {exc.__class__.__name__}") from None
    if root is not None and not is_inside(resolved, root):
        raise PathRefused(
            f"{what} {path} resolves to {resolved}, outside {root.resolve()}; "
            "only paths inside the project are read"
        )
    if any(resolved == pseudo or pseudo in resolved.parents for pseudo in _PSEUDO_ROOTS):
        raise PathRefused(f"{what} {path} resolves to {resolved}, a pseudo-file; refused")
    try:
        mode = os.stat(resolved).st_mode
    except OSError as exc:
        raise PathRefused(f"{what} {path} cannot be inspected: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise PathRefused(f"{what} {path} is {_kind(mode)}, not a regular file; refused")
    return resolved


def read_bytes(path: Path, limit: int, root: Path | None = None, what: str = "file") -> bytes:
    """The content of a checked regular file, refusing files larger than `limit` bytes.

    The file is opened non-blocking and re-checked on the open descriptor, so a FIFO swapped
    in after the check can neither block us nor be read.
    """
    resolved = checked_file(path, root, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(resolved, flags | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise PathRefused(f"{what} {path} is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise PathRefused(f"{what} {path} is {info.st_size} bytes, over the {limit}-byte cap")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise PathRefused(f"{what} {path} is over the {limit}-byte cap")
    return data


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file"


def given_on_command_line(args: tuple[str, ...] | list[str], path: Path) -> bool:
    """Whether `path` was typed on the command line (not from addopts or a committed config
    file, which a pull request can change): as an absolute path, or as a relative one that
    goes through no symbolic link (a link in the repository could point anywhere)."""
    for arg in args:
        value = arg.split("=", 1)[1] if arg.startswith("-") and "=" in arg else arg
        if not value:
            continue
        if os.path.isabs(value) and Path(value) == path:
            return True
        typed = Path(value).absolute()
        if typed == path and _existing_part(typed.parent).resolve() == _existing_part(typed.parent):
            return True
    return False


def _existing_part(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def report_destination(path: Path, root: Path, explicit: bool) -> Path:
    """Where a report may be written: inside `root` after symlinks, unless `explicit`.

    Missing folders are created inside the project only; outside it (an explicit absolute
    path) the folder must exist. The file itself must not be a link or a special file.
    """
    existing = path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    missing = path.parent.relative_to(existing)
    if ".." in missing.parts:
        raise PathRefused(f"{path}: '..' in a folder that does not exist yet; refused")
    resolved_parent = existing.resolve() / missing
    inside = is_inside(resolved_parent, root)
    if not inside and not explicit:
        raise PathRefused(
            f"{path} resolves to {resolved_parent / path.name}, outside {root.resolve()}; "
            "to write a report there, give its absolute path on the command line"
        )
    if not path.parent.exists():
        if not inside:
            raise PathRefused(f"folder {path.parent} does not exist (outside the project, so "
                              "it is not created for you)")  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
    target = path.parent.resolve() / path.name
    if target.is_symlink():
        raise PathRefused(f"{path} is a symbolic link; refusing to write through it")
    if target.exists() and not target.is_file():
        raise PathRefused(f"{path} exists and is not a regular file")
    return target
