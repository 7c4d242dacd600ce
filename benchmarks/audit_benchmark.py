"""Benchmark: audit 300 pinned requirements against the whole PyPA advisory snapshot.

Run by hand (not part of the test suite):

    python benchmarks/audit_benchmark.py [--db ../shared/data/pypa-advisory-database/vulns]

It times, side by side in one run:
  * ours, cold: the pip-audit scanner with an empty cache (parses every record);
  * ours, warm: the same with the parsed index cached by content;
  * pip-audit's CLI (`-s osv --osv-url`, `--disable-pip --no-deps`) against a loopback OSV API
    stand-in serving the same records;
  * pip-audit's OsvService class in-process against the same stand-in (no CLI start-up).
and checks that ours and pip-audit's report the same (package, vulnerability) pairs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from standins import osv_api  # noqa: E402

from pytest_devsecops.scanners.dependencies.model import Dependency  # noqa: E402
from pytest_devsecops.scanners.dependencies.pip_audit_adapter import make_service, query  # noqa: E402
from pytest_devsecops.scanners.dependencies.scanner import PipAuditScanner  # noqa: E402
from pytest_devsecops.scanners.interface import ScanContext  # noqa: E402

DEFAULT_DB = ROOT.parent / "shared" / "data" / "pypa-advisory-database" / "vulns"


def pins(db: Path, count: int) -> list[tuple[str, str]]:
    """`count` (package, version) pins, deterministically: a listed affected version per package."""
    chosen = []
    for folder in sorted(p for p in db.iterdir() if p.is_dir()):
        versions: list[str] = []
        for record_path in sorted(folder.glob("*.yaml")):
            record = yaml.load(record_path.read_text(), Loader=yaml.CBaseLoader)  # noqa: S506
            for affected in record.get("affected") or ():
                versions += affected.get("versions") or []
        valid = sorted({v for v in versions if _valid(v)}, key=Version)
        if valid:
            chosen.append((folder.name, valid[len(valid) // 2]))
        if len(chosen) == count:
            break
    return chosen


def _valid(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def timed(function, repeat: int) -> tuple[float, list[float], object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    requirement_pins = pins(args.db, args.count)
    requirements = work / "requirements.txt"
    requirements.write_text("".join(f"{name}=={version}\n" for name, version in requirement_pins))
    records = sum(1 for _ in args.db.rglob("*.yaml"))
    print(f"{len(requirement_pins)} pins, {records} advisories in {args.db}")

    def ours(cache: Path | None) -> object:
        scanner = PipAuditScanner(requirements=(requirements,), osv_db=args.db)
        context = ScanContext(
            root=work, paths=(work,), excludes=(), timeout=600, workdir=work, cache_dir=cache
        )
        return scanner.scan(context)

    cold_times = []
    for index in range(args.repeat):
        started = time.perf_counter()
        ours(work / f"cold-cache-{index}")
        cold_times.append(time.perf_counter() - started)
    warm_cache = work / "warm-cache"
    ours(warm_cache)
    warm, warm_times, warm_result = timed(lambda: ours(warm_cache), args.repeat)
    our_pairs = {
        (f.label.split("==")[0], f.rule)
        for f in warm_result.findings  # type: ignore[attr-defined]
    }

    with osv_api.serve(args.db) as (url, _):
        command = [
            sys.executable,
            "-m",
            "pip_audit",
            "-r",
            str(requirements),
            "--disable-pip",
            "--no-deps",
            "-s",
            "osv",
            "--osv-url",
            url,
            "-f",
            "json",
            "--progress-spinner",
            "off",
            "--cache-dir",
            str(work / "pip-audit-cache"),
        ]
        cli, cli_times, cli_run = timed(
            lambda: subprocess.run(command, capture_output=True, text=True, check=False),
            args.repeat,
        )
        report = json.loads(cli_run.stdout)  # type: ignore[attr-defined]
        cli_pairs = {
            (dep["name"], vuln["id"])
            for dep in report["dependencies"]
            for vuln in dep.get("vulns", [])
        }

        def service_run() -> object:
            service = make_service("osv", 30, work / "svc-cache", url)
            return [query(service, Dependency(name, version)) for name, version in requirement_pins]

        service, service_times, _ = timed(service_run, args.repeat)

    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}"
    )
    print(
        f"ours, cold (parse all records):  median {statistics.median(cold_times):.3f} s  "
        f"{_fmt(cold_times)}"
    )
    print(f"ours, warm (cached index):       median {warm:.3f} s  {_fmt(warm_times)}")
    print(f"pip-audit CLI vs loopback OSV:   median {cli:.3f} s  {_fmt(cli_times)}")
    print(f"pip-audit OsvService in-process: median {service:.3f} s  {_fmt(service_times)}")
    print(
        f"ratios: CLI / ours warm = {cli / warm:.1f}x; CLI / ours cold = "
        f"{cli / statistics.median(cold_times):.1f}x; "
        f"OsvService / ours warm = {service / warm:.1f}x"
    )
    print(
        f"findings: ours {len(our_pairs)}, pip-audit {len(cli_pairs)}; "
        f"only ours {len(our_pairs - cli_pairs)}, only pip-audit {len(cli_pairs - our_pairs)}"
    )
    for pair in sorted(our_pairs ^ cli_pairs)[:10]:
        print("  differs:", pair, "ours" if pair in our_pairs else "pip-audit")


def _fmt(times: list[float]) -> str:
    return "[" + ", ".join(f"{t:.3f}" for t in times) + "]"


if __name__ == "__main__":
    main()
