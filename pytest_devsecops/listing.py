"""What `--collect-only`, `--fixtures` and the like show: the last run's results, never a scan."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from . import runner
from .core.finding import ScanResult
from .scanners.interface import Scanner

MAX_LAST_RUN_BYTES = 64 << 20  # far above a large project's last run (Django's: 0.5 MiB)
LAST_RUN_FILE = "last-run.json"  # in the cache's devsecops folder, beside the result caches
CACHED_NOTE = "cached: "

# Options under which pytest lists, shows or plans tests without running them.
LISTING_OPTIONS = (
    "collectonly",
    "showfixtures",
    "show_fixtures_per_test",
    "setupplan",
    "cacheshow",
    "markers",
    "help",
)


def listing_option(config: pytest.Config) -> str:
    """The option (as typed) that makes this a listing run, or "" for a run that runs tests."""
    for dest in LISTING_OPTIONS:
        if config.getoption(dest, default=False):
            return {
                "collectonly": "--collect-only",
                "showfixtures": "--fixtures",
                "show_fixtures_per_test": "--fixtures-per-test",
                "setupplan": "--setup-plan",
                "cacheshow": "--cache-show",
            }.get(dest, f"--{dest}")
    return ""


def last_scan(cache: Any) -> runner.SessionScan | None:
    """The latest result of every scanner that ever ran here, or None."""
    try:
        return runner.from_data(_read(cache))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # absent, corrupt or from another version: as if never cached


def remember(cache: Any, data: dict[str, Any]) -> None:
    """Keep each scanner's latest result (a run of one scanner keeps the others' results).

    `data` is the scan's `runner.to_data`; merging works on that form, so the last run's
    results are not rebuilt into objects only to be written back."""
    kept: dict[str, Any] = {}
    last = _read(cache)
    if isinstance(last, dict) and last.get("format") == data["format"]:
        # A damaged entry kept here only makes `last_scan` treat the whole cache as absent.
        kept = {
            result["scanner"]: result
            for result in last.get("results", ())
            if isinstance(result, dict) and isinstance(result.get("scanner"), str)
        }
    kept.update({result["scanner"]: result for result in data["results"]})
    merged = {**data, "results": [kept[name] for name in sorted(kept)], "duration": 0.0}
    _write(cache, merged)


def _path(cache: Any) -> Path | None:
    """The last-run file, or None where the cache folder is a link (a pull request can commit
    a `.pytest_cache` whose folder points anywhere: we neither read nor write through it)."""
    folder = Path(cache.mkdir("devsecops"))
    return None if folder.is_symlink() else folder / LAST_RUN_FILE


def _read(cache: Any) -> Any:
    """The last run's data, or None: a link, a device or an oversized file is not read."""
    path = _path(cache)
    if path is None:
        return None
    try:
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_LAST_RUN_BYTES:
                return None
            return json.loads(handle.read(MAX_LAST_RUN_BYTES + 1))
    except (OSError, ValueError, RecursionError):
        return None


def _write(cache: Any, data: dict[str, Any]) -> None:
    # Compact JSON, written beside and renamed over the last one: pytest's `cache.set` indents
    # (its pure-Python encoder cost a warm run 10 ms) and writes in place. Not fsynced as
    # `atomic.write_atomic` does on every run: a crash loses only what --collect-only shows.
    path = _path(cache)
    if path is None:
        return
    try:
        fd, temp = tempfile.mkstemp(prefix=".last-run.", suffix=".tmp", dir=path.parent)
    except OSError:
        return  # an unwritable cache only means --collect-only shows no results
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, separators=(",", ":")))  # one shot: the C encoder
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def results(scanners: Sequence[Scanner], cache: Any, why: str) -> runner.SessionScan:
    """The cached result of each scanner (noted as such), or a status result saying it did
    not run. A cache that cannot be read is treated as absent: listing never fails on it."""
    cached: dict[str, ScanResult] = {}
    today = datetime.date.today()
    if cache is not None:
        last = last_scan(cache)
        if last is not None:
            today = last.today
            cached = {result.scanner: result for result in last.results}
    out = []
    for scanner in scanners:
        result = cached.get(scanner.name)
        if result is not None:
            note = (
                f"{CACHED_NOTE}results of the last run ({today.isoformat()}); not run under {why}"
            )
            out.append(dataclasses.replace(result, notes=(*result.notes, note)))
        else:
            out.append(
                ScanResult(
                    scanner.name,
                    scanner.name,
                    "",
                    error=f"not run under {why}",
                    hint="run the tests (without the listing option) to scan",
                )
            )
    return runner.SessionScan(tuple(out), today)


def listing_lines(config: pytest.Config, scanned: Sequence[ScanResult]) -> list[str]:
    """The terminal summary of a listing run: per scanner, cached or not run."""
    if not listing_option(config):
        return []
    lines = []
    for result in scanned:
        cached = [note for note in result.notes if note.startswith(CACHED_NOTE)]
        lines.append(f"{result.scanner}: {cached[-1] if cached else result.error}")
    return lines
