"""Tests' way to write a result cache "a few seconds later" than the files it records."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_devsecops.scanners import cache as cache_mod

SHIFT_NS = 3 * cache_mod.RACY_NS


@contextlib.contextmanager
def written_later(folder: Path) -> Iterator[None]:
    """Caches saved inside are dated SHIFT_NS later, on our clock and the file system's alike.

    Change times cannot be set back, so the racy margin is passed by moving the cache forward
    instead; both clocks move, as the cache checks one against the other.
    """
    real = time.time_ns
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time_ns", lambda: real() + SHIFT_NS)
        yield
    for path in folder.glob("*.cache"):
        info = path.stat()
        os.utime(path, ns=(info.st_atime_ns + SHIFT_NS, info.st_mtime_ns + SHIFT_NS))
