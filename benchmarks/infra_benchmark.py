"""Benchmark: the iac and actions scanners against the raw trivy/zizmor runs they wrap.

Run by hand (not part of the test suite):

    python benchmarks/infra_benchmark.py [--runs 5]

On example_project/ it times, side by side in one run, five times each:
  * raw `trivy config` (same offline flags, same custom Rego checks) vs our `iac` scanner
    (which also lists the candidate files, reads trivy's log and checks every file was parsed);
  * raw `zizmor --offline --format json` on the folder vs our `actions` scanner.
and checks both sides found the same number of trivy failures.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pytest_devsecops.scanners.actions import ActionsScanner
from pytest_devsecops.scanners.iac import IacScanner
from pytest_devsecops.scanners.interface import ScanContext
from pytest_devsecops.scanners.tools import find_tool
from pytest_devsecops.settings import DEFAULT_EXCLUDES

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"


def context() -> ScanContext:
    return ScanContext(
        root=EXAMPLE,
        paths=(EXAMPLE,),
        excludes=DEFAULT_EXCLUDES,
        timeout=300,
        workdir=Path(tempfile.mkdtemp(prefix="bench-")),
    )


def timed(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    trivy, zizmor = find_tool("trivy").path, find_tool("zizmor").path
    if trivy is None or zizmor is None:
        raise SystemExit('pip install "pytest-devsecops[trivy,actions]" first')
    report = Path(tempfile.mkdtemp()) / "raw.json"

    def raw_trivy() -> None:
        argv = [str(trivy), "config", "--skip-check-update", "--cache-dir", tempfile.mkdtemp()]
        argv += ["-f", "json", "-o", str(report), f"--config-check={EXAMPLE / 'policies'}"]
        subprocess.run(
            [*argv, "--check-namespaces=user", "--", str(EXAMPLE)],
            check=True,
            capture_output=True,
        )

    def raw_zizmor() -> None:
        subprocess.run(
            [str(zizmor), "--offline", "--format", "json", "--", str(EXAMPLE)],
            capture_output=True,
        )

    rows = [
        ("trivy config (raw)", timed(raw_trivy, runs)),
        ("iac scanner", timed(lambda: IacScanner(rego=EXAMPLE / "policies").scan(context()), runs)),
        ("zizmor (raw)", timed(raw_zizmor, runs)),
        ("actions scanner", timed(lambda: ActionsScanner().scan(context()), runs)),
    ]
    raw_failures = sum(
        len([m for m in r.get("Misconfigurations") or [] if m["Status"] == "FAIL"])
        for r in json.loads(report.read_text())["Results"]
    )
    ours = len(IacScanner(rego=EXAMPLE / "policies").scan(context()).findings)
    print(f"{platform.processor() or platform.machine()}, {platform.python_version()}")
    print("| run | median | runs (s) |\n|---|---|---|")
    for name, times in rows:
        runs_text = ", ".join(f"{t:.2f}" for t in times)
        print(f"| {name} | **{statistics.median(times):.2f} s** | {runs_text} |")
    print(f"trivy failures: raw {raw_failures}, iac findings {ours}")


if __name__ == "__main__":
    main()
