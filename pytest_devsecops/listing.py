"""What `--collect-only`, `--fixtures` and the like show: the last run's results, never a scan."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from typing import Any

import pytest

from . import runner
from .core.finding import ScanResult
from .scanners.interface import Scanner

LAST_RUN_CACHE_KEY = "devsecops/last-run"
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
        return runner.from_data(cache.get(LAST_RUN_CACHE_KEY, None))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # absent, corrupt or from another version: as if never cached


def remember(cache: Any, data: dict[str, Any]) -> None:
    """Keep each scanner's latest result (a run of one scanner keeps the others' results).

    `data` is the scan's `runner.to_data`; merging works on that form, so the last run's
    results are not rebuilt into objects only to be written back."""
    kept: dict[str, Any] = {}
    last = cache.get(LAST_RUN_CACHE_KEY, None)
    if isinstance(last, dict) and last.get("format") == data["format"]:
        # A damaged entry kept here only makes `last_scan` treat the whole cache as absent.
        kept = {
            result["scanner"]: result
            for result in last.get("results", ())
            if isinstance(result, dict) and isinstance(result.get("scanner"), str)
        }
    kept.update({result["scanner"]: result for result in data["results"]})
    merged = {**data, "results": [kept[name] for name in sorted(kept)], "duration": 0.0}
    cache.set(LAST_RUN_CACHE_KEY, merged)


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
