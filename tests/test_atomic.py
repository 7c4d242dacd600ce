"""Baseline writes are atomic, compare-and-swap, and never leave the project folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from pytest_devsecops.core.atomic import (
    ConcurrentEditError,
    UnsafePathError,
    replace_if_unchanged,
    write_atomic,
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_replace_writes_when_the_file_is_as_read(tmp_path: Path) -> None:
    target = tmp_path / "b.yml"
    target.write_bytes(b"old")
    target.chmod(0o640)
    replace_if_unchanged(target, b"new", sha(b"old"), tmp_path)
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["b.yml"]


def test_a_human_edit_during_the_run_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "b.yml"
    target.write_bytes(b"edited by a human")
    with pytest.raises(ConcurrentEditError, match="changed on disk"):
        replace_if_unchanged(target, b"ours", sha(b"what we read"), tmp_path)
    assert target.read_bytes() == b"edited by a human"
    assert (tmp_path / "b.yml.proposed").read_bytes() == b"ours"


def test_a_file_created_meanwhile_counts_as_an_edit(tmp_path: Path) -> None:
    target = tmp_path / "b.yml"
    target.write_bytes(b"someone else's")
    with pytest.raises(ConcurrentEditError):
        replace_if_unchanged(target, b"ours", "", tmp_path)


def test_symlinks_and_paths_outside_the_root_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    (root / "b.yml").symlink_to(victim)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        replace_if_unchanged(root / "b.yml", b"x", sha(b"precious"), root)
    with pytest.raises(UnsafePathError, match="outside"):
        replace_if_unchanged(tmp_path / "elsewhere.yml", b"x", "", root)
    (root / "out").symlink_to(tmp_path)
    with pytest.raises(UnsafePathError, match="outside"):
        replace_if_unchanged(root / "out" / "b.yml", b"x", "", root)
    assert victim.read_bytes() == b"precious"


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "b.yml"
    target.write_bytes(b"old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["b.yml"]
