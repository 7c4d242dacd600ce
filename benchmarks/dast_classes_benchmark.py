"""Benchmark: recall and precision per vulnerability class, ours next to wapiti3.

Run by hand (not part of the test suite):

    python benchmarks/dast_classes_benchmark.py [--wapiti PATH-TO-wapiti] [--repeat 3]

Both tools scan the test suite's deliberately vulnerable app (tests/apps/vuln_apps.py), served
in-process on 127.0.0.1: one planted case per class, each with a safe twin under /safe/ that
looks the same to a scanner. A row says whether each tool reported the planted endpoint (recall)
and whether it reported the safe twin (a false positive). wapiti3's SSRF and XXE modules need
its public out-of-band endpoint and are not run. Run it inside a loopback-only network namespace
so that nothing can leave the machine:

    unshare -rn sh -c 'ip link set lo up && python benchmarks/dast_classes_benchmark.py ...'
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pytest_devsecops.dast.app import serve_wsgi
from pytest_devsecops.dast.engine import BuiltinEngine
from pytest_devsecops.dast.findings import to_findings
from pytest_devsecops.dast.interface import DastOptions
from pytest_devsecops.dast.scope import resolve_scope

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "apps"))
import vuln_apps  # noqa: E402

# class, planted path, our rule (prefix) and label, words of wapiti's category names
CASES = [
    ("SQLi error-based, numeric id", "/item", "40018", "id", ("sql injection",)),
    ("SQLi boolean blind, numeric id", "/blind", "40018", "id", ("sql injection",)),
    ("SQLi boolean blind, string (echoed)", "/user", "40018", "name", ("sql injection",)),
    ("SQLi in a path segment", "/order/2", "40018", "path:2", ("sql injection",)),
    ("SQLi time-based only", "/sleepy", "40019", "id", ("sql injection",)),
    ("command injection (quoted)", "/ping", "90020", "host", ("command execution",)),
    ("XSS in a JS string", "/ctx/script", "40012", "q", ("cross site scripting",)),
    ("XSS in an unquoted attribute", "/ctx/attr", "40012", "q", ("cross site scripting",)),
    ("XSS in href (javascript:)", "/ctx/url", "40012", "q", ("cross site scripting",)),
    ("XSS, app decodes %20 not +", "/ctx/unquote", "40012", "q", ("cross site scripting",)),
    ("XSS in a header", "/lang", "40012", "header:", ("cross site scripting",)),
    ("XSS in a cookie", "/theme", "40012", "cookie:", ("cross site scripting",)),
    ("XSS in a CSRF-protected form", "/profile", "40012", "nick", ("cross site scripting",)),
    ("stored XSS", "/guestbook", "40014", "message", ("stored cross site", "permanent")),
    ("open redirect via Refresh", "/go/refresh", "20019", "next", ("redirect",)),
    ("open redirect via meta refresh", "/go/meta", "20019", "next", ("redirect",)),
    ("open redirect via JS location", "/go/js", "20019", "next", ("redirect",)),
    ("CRLF injection", "/go/refresh", "40003", "next", ("crlf",)),
    ("SSRF (loopback listener)", "/fetch", "40046", "url", ()),
]
WAPITI_MODULES = "xss,permanentxss,sql,timesql,exec,redirect,crlf"


def _template(path: str) -> str:
    return "/order/{id}" if path.startswith("/order/") else path


def ours(base: str) -> tuple[float, list[tuple[str, str]]]:
    started = time.perf_counter()
    report = BuiltinEngine().scan(
        resolve_scope(base),
        base + "/",
        DastOptions(active=True, time_based=True, max_seconds=600),
    )
    elapsed = time.perf_counter() - started
    return elapsed, [(f.rule, f.item_label) for f in to_findings(report.alerts, "dast", "")]


def ours_found(findings: list[tuple[str, str]], rule: str, path: str, param: str) -> bool:
    template = _template(path)
    return any(
        found_rule.startswith(rule) and f" {template} " in f" {label} " and param in label
        for found_rule, label in findings
    )


def wapiti(executable: str, base: str, work: Path) -> tuple[float, list[tuple[str, str]]]:
    output = work / "wapiti.json"
    command = [
        executable, "-u", base + "/", "--scope", "folder", "-m", WAPITI_MODULES,
        "--flush-session", "-f", "json", "-o", str(output), "-d", "10",
        "--max-scan-time", "900", "-v", "0", "--store-session", str(work / "session"),
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True, text=True, timeout=1200)  # noqa: S603
    elapsed = time.perf_counter() - started
    data: dict[str, Any] = json.loads(output.read_text()) if output.exists() else {}
    found = []
    for category, entries in (data.get("vulnerabilities") or {}).items():
        for entry in entries or []:
            found.append((category.lower(), str(entry.get("path", ""))))
    return elapsed, found


def wapiti_found(found: list[tuple[str, str]], words: tuple[str, ...], path: str) -> bool:
    return any(
        any(word in category for word in words) and where.split("?")[0] == path
        for category, where in found
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--wapiti", default=shutil.which("wapiti") or "")
    args = parser.parse_args()
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="dast-classes-"))
    with serve_wsgi(vuln_apps.app) as base:
        our_runs = [ours(base) for _ in range(args.repeat)]
        their_runs = (
            [wapiti(args.wapiti, base, work) for _ in range(args.repeat)] if args.wapiti else []
        )
    our_time = statistics.median(run[0] for run in our_runs)
    print(f"ours: median {our_time:.1f} s {[round(r[0], 1) for r in our_runs]}")
    if their_runs:
        their_time = statistics.median(run[0] for run in their_runs)
        print(f"wapiti3 -m {WAPITI_MODULES}: median {their_time:.1f} s "
              f"{[round(r[0], 1) for r in their_runs]}")  # fmt: skip
    print(f"| class | ours | ours on safe twin | wapiti3 | wapiti3 on safe twin |")
    print("|---|---|---|---|---|")
    totals = [0, 0, 0, 0]
    for name, path, rule, param, words in CASES:
        safe = "/safe" + path
        row = [
            all(ours_found(run[1], rule, path, param) for run in our_runs),
            any(ours_found(run[1], rule, safe, param) for run in our_runs),
        ]
        if their_runs and words:
            row += [
                all(wapiti_found(run[1], words, path) for run in their_runs),
                any(wapiti_found(run[1], words, safe) for run in their_runs),
            ]
        cells = ["yes" if value else "no" for value in row] + ["n/a"] * (4 - len(row))
        totals = [t + (1 if v else 0) for t, v in zip(totals, row + [False] * (4 - len(row)))]
        print(f"| {name} | {' | '.join(cells)} |")
    print(f"| **total ({len(CASES)} classes)** | {' | '.join(str(t) for t in totals)} |")


if __name__ == "__main__":
    main()
