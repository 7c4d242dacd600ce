"""Benchmark: the secrets scanner against raw trivy and raw detect-secrets on Django's source.

Run by hand (not part of the test suite):

    python benchmarks/secrets_benchmark.py [--tree DIR] [--runs 5] [--slow]

The tree is Django 5.2.8's wheel (`pip download --no-deps django==5.2.8`, unzipped) unless --tree
is given. It times, side by side in one run, interleaved:
  * raw `trivy fs --scanners secret` (offline flags, JSON to a file);
  * ours, engine `auto` (trivy + our generic detector), in-process, cold (fresh work folder);
  * ours, engine `trivy`;
  * ours, `auto`, with the result cache: an unchanged rerun, a rerun after one file changed
    (a new GitHub-shaped token appended to it each time; the run must report it), and the
    canary alone (trivy on its one-line sample, which every scan runs). These run on
    a copy of the tree in a temporary folder (the given tree is never modified), and are timed
    as the scanner's own duration (what the summary line reports), beside the CPU time it used
    (this process's threads and its children: trivy);
and, once each with --slow: ours `detect-secrets`, ours `all`, and raw
`detect-secrets scan --all-files`. It prints the findings each reported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from pytest_devsecops.scanners.interface import ScanContext
from pytest_devsecops.scanners.secrets import canary
from pytest_devsecops.scanners.secrets.scanner import SecretsScanner
from pytest_devsecops.scanners.tools import find_tool
from pytest_devsecops.settings import DEFAULT_EXCLUDES

OFFLINE = ["--skip-db-update", "--skip-check-update", "--offline-scan", "--disable-telemetry"]


def django_tree(folder: Path) -> Path:
    tree = folder / "django-5.2.8"
    if not tree.is_dir():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "django==5.2.8",
                "-d",
                str(folder),
            ],
            check=True,
        )
        with zipfile.ZipFile(folder / "django-5.2.8-py3-none-any.whl") as wheel:
            wheel.extractall(tree)
    return tree


def raw_trivy(trivy: Path, tree: Path, all_files: bool = False) -> tuple[float, list[str]]:
    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "trivy.json"
        extra: list[str] = []
        if all_files:  # what we make trivy read: its built-in allow rules switched off
            config = Path(work) / "secret.yaml"
            config.write_text(
                "disable-allow-rules: [tests, examples, vendor, markdown, locale-dir]\n"
            )
            extra = ["--secret-config", str(config)]
        argv = [
            str(trivy),
            "fs",
            "--scanners",
            "secret",
            *OFFLINE,
            "-q",
            "-f",
            "json",
            "-o",
            str(report),
            *extra,
            str(tree),
        ]
        started = time.perf_counter()
        subprocess.run(argv, check=True)
        took = time.perf_counter() - started
        data = json.loads(report.read_text())
    found = [
        f"{r['Target']}:{s['StartLine']} {s['RuleID']}"
        for r in data.get("Results") or []
        for s in r.get("Secrets") or []
    ]
    return took, found


def raw_detect_secrets(tree: Path) -> tuple[float, list[str]]:
    cli = Path(sys.executable).parent / "detect-secrets"
    started = time.perf_counter()
    done = subprocess.run(
        [str(cli), "scan", "--all-files"], cwd=tree, check=True, capture_output=True, text=True
    )
    took = time.perf_counter() - started
    results = json.loads(done.stdout)["results"]
    return took, [
        f"{name}:{item['line_number']} {item['type']}"
        for name, items in results.items()
        for item in items
    ]


def ours(tree: Path, engine: str) -> tuple[float, list[str]]:
    with tempfile.TemporaryDirectory() as work:
        context = ScanContext(
            root=tree, paths=(tree,), excludes=DEFAULT_EXCLUDES, timeout=3600, workdir=Path(work)
        )
        started = time.perf_counter()
        result = SecretsScanner(engine=engine).scan(context)
        took = time.perf_counter() - started
    if not result.complete:
        raise SystemExit(
            f"ours ({engine}) did not complete: {result.error} {result.coverage.gaps[:5]}"
        )
    print(
        f"  ours {engine}: {len(result.coverage.scanned)} files, notes {list(result.notes)}",
        file=sys.stderr,
    )
    return took, [f"{f.item_label} {f.rule}" for f in result.findings]


class _TimedScanner(SecretsScanner):
    """The scanner, with the time of its work-tree pass (everything but the canary, which runs
    beside it) recorded: the "scanning" an unchanged rerun pays for."""

    tree_seconds: ClassVar[list[float]] = []

    def _tree(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return super()._tree(*args, **kwargs)
        finally:
            self.tree_seconds.append(time.perf_counter() - started)


def cached(tree: Path, cache: Path, change: Path | None = None) -> tuple[float, float, list[str]]:
    """One `auto` scan with the result cache; with `change`, a new token is appended first."""
    if change is not None:
        seed = hashlib.sha512(f"{change}:{time.time_ns()}".encode()).hexdigest()
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        token = "ghp_" + "".join(alphabet[int(seed[i : i + 2], 16) % 62] for i in range(0, 72, 2))
        with change.open("a", encoding="utf-8") as handle:
            handle.write(f'\nBENCHMARK_TOKEN = "{token}"\n')
    with tempfile.TemporaryDirectory() as work:
        context = ScanContext(
            root=tree,
            paths=(tree,),
            excludes=DEFAULT_EXCLUDES,
            timeout=3600,
            workdir=Path(work),
            cache_dir=cache,
        )
        cpu = _cpu()
        result = _TimedScanner(engine="auto").scan(context)
        cpu = _cpu() - cpu
    if not result.complete:
        raise SystemExit(
            f"ours (cached) did not complete: {result.error} {result.coverage.gaps[:5]}"
        )
    notes = [n for n in result.notes if "cache" in n]
    print(
        f"  ours cached: {notes}, tree pass {_TimedScanner.tree_seconds[-1]:.3f} s", file=sys.stderr
    )
    found = [f"{f.item_label} {f.rule}" for f in result.findings]
    if change is not None and not any(
        item.startswith(f"{change.relative_to(tree)}:") for item in found
    ):
        raise SystemExit("the changed file's new token was not reported")
    return result.duration, cpu, found


def canary_alone(trivy: Path) -> tuple[float, float, list[str]]:
    """The canary by itself (trivy on one sample file): every scan pays it, cache or not."""
    with tempfile.TemporaryDirectory() as work:
        cpu, started = _cpu(), time.perf_counter()
        failure, _version = canary.check(("trivy", "ours"), trivy, Path(work), 3600)
        took, cpu = time.perf_counter() - started, _cpu() - cpu
    if failure:
        raise SystemExit(f"the canary failed: {failure}")
    return took, cpu, []


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slow", action="store_true", help="also time detect-secrets (minutes)")
    args = parser.parse_args()
    trivy = find_tool("trivy").path
    if trivy is None:
        raise SystemExit("trivy is needed: pip install -e '.[trivy]'")
    cache = Path(tempfile.gettempdir()) / "devsecops-secrets-bench"
    cache.mkdir(exist_ok=True)
    tree = (args.tree or django_tree(cache)).resolve()
    files = sum(1 for path in tree.rglob("*") if path.is_file())
    timed: dict[str, Callable[[], tuple[float, list[str]]]] = {
        "raw trivy fs --scanners secret": lambda: raw_trivy(trivy, tree),
        "raw trivy, its allow rules off (the files we scan)": lambda: raw_trivy(trivy, tree, True),
        "ours, auto (trivy + ours), cold": lambda: ours(tree, "auto"),
        "ours, trivy only, cold": lambda: ours(tree, "trivy"),
    }
    times: dict[str, list[float]] = {name: [] for name in timed}
    found: dict[str, list[str]] = {}
    for _ in range(args.runs):
        for name, run in timed.items():
            took, found[name] = run()
            times[name].append(took)
    if args.slow:
        for name, run in {
            "ours, detect-secrets, cold": lambda: ours(tree, "detect-secrets"),
            "ours, all, cold": lambda: ours(tree, "all"),
            "raw detect-secrets scan --all-files": lambda: raw_detect_secrets(tree),
        }.items():
            took, found[name] = run()
            times[name] = [took]
    # The cached modes, on a copy: the first run fills the cache (not timed), then each mode
    # alternates with the other so both see the same load.
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / tree.name
        shutil.copytree(tree, copy, symlinks=True)
        cache_dir = Path(scratch) / "cache"
        cache_dir.mkdir()
        changed = sorted(copy.rglob("global_settings.py")) or sorted(copy.rglob("*.py"))
        cached(copy, cache_dir)
        cpu: dict[str, list[float]] = {}
        modes: dict[str, Callable[[], tuple[float, float, list[str]]]] = {
            "ours, auto, unchanged rerun (cache)": lambda: cached(copy, cache_dir),
            "ours, auto, one file changed (cache)": lambda: cached(copy, cache_dir, changed[0]),
            "the canary alone (part of every run above)": lambda: canary_alone(trivy),
        }
        for _ in range(args.runs):
            for name, timed_run in modes.items():
                took, used, found[name] = timed_run()
                times.setdefault(name, []).append(took)
                cpu.setdefault(name, []).append(used)
    print(
        f"{platform.processor() or platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {files} files in {tree.name}\n"
    )
    print("| run | median | runs (s) | findings |\n|---|---|---|---|")
    for name, values in times.items():
        runs = ", ".join(f"{value:.2f}" for value in values)
        print(f"| {name} | {statistics.median(values):.2f} s | {runs} | {len(found[name])} |")
    base = statistics.median(times["raw trivy fs --scanners secret"])
    auto = statistics.median(times["ours, auto (trivy + ours), cold"])
    print(f"\nauto / raw trivy = {auto / base:.2f}")
    for name, values in cpu.items():
        runs = ", ".join(f"{value:.2f}" for value in values)
        print(f"{name}: CPU median {statistics.median(values):.3f} s ({runs})")
    # Every second cached run after the first is an unchanged rerun (the modes alternate).
    unchanged = _TimedScanner.tree_seconds[1::2]
    if unchanged:
        runs = ", ".join(f"{value:.3f}" for value in unchanged)
        print(
            f"unchanged rerun, work-tree pass (beside the canary): median "
            f"{statistics.median(unchanged):.3f} s ({runs})"
        )
    for name, items in found.items():
        kinds = Counter(item.rsplit(" ", 1)[-1] for item in items)
        print(f"\n{name}: {dict(kinds)}")
        for item in items[:25]:
            print(f"  {item}")


if __name__ == "__main__":
    main()
