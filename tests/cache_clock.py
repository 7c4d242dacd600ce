"""Tests' way to write a result cache "a few seconds later" than the files it records."""

from __future__ import annotations

import contextlib
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
    real_time, real_file_system = time.time_ns, cache_mod._file_system_now
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time_ns", lambda: real_time() + SHIFT_NS)
        patch.setattr(cache_mod, "_file_system_now", lambda at: real_file_system(at) + SHIFT_NS)
        yield
