"""Portable file writes and process control: filelock, the user's umask, no process groups."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from pytest_devsecops.core import atomic
from pytest_devsecops.scanners import process


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_file_gets_the_users_umask(tmp_path: Path, umask: int, expected: int) -> None:
    old = os.umask(umask)
    try:
        atomic.write_atomic(tmp_path / "report.json", b"{}")
    finally:
        os.umask(old)
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == expected


def test_the_lock_serialises_writers_and_leaves_nothing_behind(tmp_path: Path) -> None:
    order: list[str] = []

    def second() -> None:
        with atomic.locked(tmp_path):
            order.append("second")

    with atomic.locked(tmp_path):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        order.append("first")
    thread.join(timeout=10)
    assert order == ["first", "second"]
    assert list(tmp_path.iterdir()) == []


def test_a_timeout_still_kills_the_child_without_process_groups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(os, "killpg", raising=False)
    code = "import time; time.sleep(30)"
    started = time.monotonic()
    outcome = process.run([sys.executable, "-c", code], timeout=0.5)
    assert outcome.timed_out
    assert time.monotonic() - started < 10
