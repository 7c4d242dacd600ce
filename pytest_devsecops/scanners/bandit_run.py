"""bandit across cores: the files split over child processes, the reports merged per file.

A child that crashes, times out or writes no report fails the whole scan: its files are never
dropped. The canary sample runs in a child of its own, started before the files are even found.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.finding import Skipped
from ..core.redact import mask_string_literals, tail
from . import bandit_canary, process
from .cache import FileCache

# Rules whose flagged line carries the secret itself: never let it reach a title, a snippet,
# a fingerprint input or the result cache.
SECRET_RULES = frozenset({"B105", "B106", "B107"})
# Linux allows 128 KiB per argument and about 2 MiB in all; stay far below.
MAX_ARGV_BYTES = 96 * 1024
CANARY_GRACE = 5.0  # seconds past the canary's deadline for its killed child to be reaped


@dataclasses.dataclass
class Merged:
    """bandit's reports merged, per scanned file (absolute path as given to bandit)."""

    per_file: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    failures: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Scanned:
    """Each file's report (root-relative name → bandit's results, errors and metrics)."""

    reports: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    unreported: list[Skipped] = dataclasses.field(default_factory=list)
    failures: list[str] = dataclasses.field(default_factory=list)


def scan_files(
    prefix: Sequence[str],
    files: Sequence[tuple[str, Path]],
    cache: FileCache,
    workdir: Path,
    jobs: int,
    timeout: float,
) -> Scanned:
    """Reports of unchanged files from the cache, of the others from bandit's children."""
    scanned = Scanned()
    to_scan, digests, signatures = [], {}, {}
    for rel, path in files:
        try:
            digests[rel], signatures[rel] = cache.file_digest(rel, path)
        except OSError:
            to_scan.append((rel, path))
            continue
        cached = cache.get(rel, digests[rel], signatures[rel])
        if cached is None:
            to_scan.append((rel, path))
        else:
            scanned.reports[rel] = cached
    merged = run(prefix, [path for _rel, path in to_scan], workdir, jobs, timeout)
    scanned.failures += merged.failures
    for rel, path in to_scan:
        report = merged.per_file.get(str(path))
        if report is None or (report["metrics"] is None and not report["errors"]):
            scanned.unreported.append(Skipped(rel, "bandit did not report on this file"))
            continue
        scanned.reports[rel] = _storable(report)
        if rel in digests and not merged.failures:
            cache.put(rel, digests[rel], scanned.reports[rel], signatures[rel])
    return scanned


def _storable(report: dict[str, Any]) -> dict[str, Any]:
    """One file's report as cached: no file name, no source code, no secret in a title."""
    results = []
    for item in report["results"]:
        kept = {k: v for k, v in item.items() if k not in ("filename", "code")}
        if kept.get("test_id") in SECRET_RULES:
            kept["issue_text"] = mask_string_literals(str(kept.get("issue_text", "")))
        results.append(kept)
    return {"results": results, "errors": list(report["errors"]), "metrics": report["metrics"]}


def usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def plan(files: Sequence[Path], jobs: int) -> list[list[Path]]:
    """Split files into balanced chunks (largest first, by size), each one a short argv."""
    sized = sorted(((_size(path), str(path)) for path in files), reverse=True)
    total_bytes = sum(len(name) + 1 for _size_, name in sized)
    # Two chunks per worker: bandit's time per file follows its size only roughly, and a
    # worker that finishes early takes the next chunk (one more start-up costs ~0.2 s).
    wanted = 1 if jobs <= 1 else 2 * jobs
    count = max(1, min(len(sized), wanted), -(-total_bytes // MAX_ARGV_BYTES))
    chunks: list[list[tuple[int, str]]] = [[] for _ in range(count)]
    loads = [0] * count
    for size, name in sized:
        target = loads.index(min(loads))
        chunks[target].append((size, name))
        loads[target] += size + 4096  # every file costs something, however small
    return [[Path(name) for _size_, name in sorted(chunk, key=lambda c: c[1])] for chunk in chunks]


class Canary:
    """The canary scan, started first and in the background: it needs no file of the project."""

    def __init__(self, prefix: Sequence[str], sample: Path, workdir: Path, timeout: float) -> None:
        self.found: frozenset[str] = frozenset()
        self.failure = ""
        self.ended = 0.0  # when its bandit finished (monotonic), once it has
        deadline = self.deadline = time.monotonic() + timeout
        report = workdir / "bandit-canary.json"
        self._thread = threading.Thread(
            target=self._run, args=(prefix, sample, report, deadline), daemon=True
        )
        self._thread.start()

    def _run(self, prefix: Sequence[str], sample: Path, report: Path, deadline: float) -> None:
        try:
            failure, data = _run_chunk(prefix, [sample], report, deadline)
            if failure:
                self.failure = f"bandit failed on its canary sample: {failure}"
            else:
                self.found = bandit_canary.take(data)[1]
        except Exception as exc:  # in its own thread: said on the status item, not lost
            self.failure = f"bandit failed on its canary sample: {exc!r}"
        finally:
            self.ended = time.monotonic()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self) -> None:
        """Until it is done: its bandit is killed at the deadline, so this ends soon after
        (measured from its start, not from when someone asks: a late asker waits no longer)."""
        self._thread.join(max(0.0, self.deadline + CANARY_GRACE - time.monotonic()))
        if self._thread.is_alive():
            self.failure = "bandit did not finish its canary sample in time"


def run(
    prefix: Sequence[str], files: Sequence[Path], workdir: Path, jobs: int, timeout: float
) -> Merged:
    """Run `prefix + [--output X -- chunk...]` for each chunk, `jobs` at a time."""
    merged = Merged()
    if not files:
        return merged
    chunks = plan(files, jobs)
    deadline = time.monotonic() + timeout
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [
            pool.submit(_run_chunk, prefix, chunk, workdir / f"bandit-{n}.json", deadline)
            for n, chunk in enumerate(chunks)
        ]
        outcomes = [future.result() for future in futures]
    for number, (chunk, (failure, data)) in enumerate(zip(chunks, outcomes, strict=True), 1):
        if failure:
            where = f"bandit batch {number} of {len(chunks)} ({len(chunk)} files)"
            merged.failures.append(f"{where}: {failure}" if len(chunks) > 1 else failure)
            continue
        for name, metrics in data["metrics"].items():
            if name != "_totals":
                merged.per_file.setdefault(name, _empty())["metrics"] = metrics
        for result in data["results"]:
            merged.per_file.setdefault(str(result["filename"]), _empty())["results"].append(result)
        for error in data["errors"]:
            merged.per_file.setdefault(str(error["filename"]), _empty())["errors"].append(
                str(error["reason"])
            )
    return merged


def _run_chunk(
    prefix: Sequence[str], chunk: list[Path], report: Path, deadline: float
) -> tuple[str, dict[str, Any]]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return "bandit did not finish within devsecops_timeout", {}
    # `--` ends option parsing: no path in the repository can be read as a bandit flag.
    argv = [*prefix, "--output", str(report), "--", *map(str, chunk)]
    outcome = process.run(argv, remaining)
    failure = failure_of(outcome, report, remaining)
    if failure:
        return failure, {}
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return "", data


def failure_of(outcome: process.ProcessOutcome, report: Path, timeout: float) -> str:
    """Why this bandit run cannot be trusted, or '' when its report is complete and fresh."""
    command = " ".join(outcome.argv[:8]) + " ..."
    if outcome.start_error:
        return f"could not start bandit ({command}): {outcome.start_error}"
    if outcome.timed_out:
        return f"bandit timed out after {timeout:g}s and was killed ({command})"
    # Exit 1 means "issues found"; anything else is a crash, whatever the report says.
    if outcome.returncode not in (0, 1):
        return (
            f"bandit exited with status {outcome.returncode} ({command}):\n{tail(outcome.stderr)}"
        )
    if not report.is_file():
        return f"bandit wrote no report ({command}):\n{tail(outcome.stderr)}"
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        return f"bandit's report is not valid JSON: {exc}"
    if not isinstance(data, dict) or not all(
        isinstance(data.get(key), want)
        for key, want in (("results", list), ("errors", list), ("metrics", dict))
    ):
        return "bandit's report does not have the expected results/errors/metrics fields"
    return ""


def _empty() -> dict[str, Any]:
    return {"results": [], "errors": [], "metrics": None}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
