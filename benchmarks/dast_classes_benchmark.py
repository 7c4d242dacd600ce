"""Benchmark: recall and precision per vulnerability class, ours next to wapiti3.

Run by hand (not part of the test suite):

    python benchmarks/dast_classes_benchmark.py [--wapiti PATH-TO-wapiti] [--repeat 3]

Both tools scan the test suite's deliberately vulnerable app (tests/apps/vuln_apps.py): one
planted case per class, each with a safe twin under /safe/ that looks the same to a scanner. A row
says whether each tool reported the planted endpoint (recall) and whether it reported the safe
twin (a false positive). Every run of every tool gets a fresh process of the app on 127.0.0.1:
one tool's leftovers (stored posts, a SLEEP() still holding the app's one SQLite connection)
never reach the next. wapiti3's SSRF and XXE modules need its public out-of-band endpoint and
are not run; it has no CORS or hidden-file module that works offline (nikto downloads its
database). Run it inside a loopback-only network namespace so that nothing can leave the
machine:

    unshare -rn sh -c 'ip link set lo up && python benchmarks/dast_classes_benchmark.py ...'
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pytest_devsecops.dast.app import run_command
from pytest_devsecops.dast.engine import BuiltinEngine
from pytest_devsecops.dast.findings import path_template, to_findings
from pytest_devsecops.dast.interface import DastOptions
from pytest_devsecops.dast.scope import resolve_scope

VULN_APP = Path(__file__).resolve().parent.parent / "tests" / "apps" / "vuln_apps.py"

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
    ("SQLi in the path of a 404 page", "/member/42", "40018", "path:2", ("sql injection",)),
    ("hidden file (.git/config)", "/.git/config", "40035", "", ()),
    (".env in a crawled folder", "/files/.env", "40034", "", ()),
    ("backup copy of a crawled file", "/files/readme.txt.bak", "10095", "", ("backup",)),
    ("TRACE echoes the request", "/debug/echo", "90028", "", ("http methods trace",)),
    ("CORS reflects any Origin", "/api/data", "40040-2", "", ()),
    ("CORS allows null, with credentials", "/api/partner", "40040-3", "", ()),
]
WAPITI_MODULES = "xss,permanentxss,sql,timesql,exec,redirect,crlf,backup,methods"


@contextlib.contextmanager
def fresh_app() -> Iterator[str]:
    """A new process of the vulnerable app, stopped (with its process group) afterwards."""
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(VULN_APP))} {{port}}"
    with run_command(command, ready_path="/", timeout=30) as base:
        yield base


def ours() -> tuple[float, list[tuple[str, str]]]:
    with fresh_app() as base:
        started = time.perf_counter()
        report = BuiltinEngine().scan(
            resolve_scope(base),
            base + "/",
            DastOptions(active=True, time_based=True, max_seconds=600),
        )
        elapsed = time.perf_counter() - started
    print(f"ours: {len(report.pages)} pages, {report.requests} requests, {elapsed:.1f} s")
    return elapsed, [(f.rule, f.item_label) for f in to_findings(report.alerts, "dast", "")]


def ours_found(findings: list[tuple[str, str]], rule: str, path: str, param: str) -> bool:
    template = path_template(path)
    return any(
        found_rule.startswith(rule) and f" {template} " in f" {label} " and param in label
        for found_rule, label in findings
    )


def wapiti(executable: str, work: Path) -> tuple[float, list[tuple[str, str]]]:
    with fresh_app() as base:
        return _wapiti(executable, base, work)


def _wapiti(executable: str, base: str, work: Path) -> tuple[float, list[tuple[str, str]]]:
    output = work / "wapiti.json"
    output.unlink(missing_ok=True)
    command = [
        executable, "-u", base + "/", "--scope", "folder", "-m", WAPITI_MODULES,
        "--flush-session", "-f", "json", "-o", str(output), "-d", "10",
        "--max-scan-time", "900", "-v", "0", "--store-session", str(work / "session"),
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True, text=True, timeout=1200)
    elapsed = time.perf_counter() - started
    data: dict[str, Any] = json.loads(output.read_text()) if output.exists() else {}
    found = []
    # Backup files are "vulnerabilities"; TRACE is an "additional" (information) in wapiti3.
    for section in ("vulnerabilities", "anomalies", "additionals"):
        for category, entries in (data.get(section) or {}).items():
            for entry in entries or []:
                # "HTTP Methods" also lists CONNECT-heuristic notes on every page: TRACE is told
                # apart by its own message.
                trace = "TRACE method is allowed" in str(entry.get("info", ""))
                kind = f"{category.lower()}{' trace' if trace else ''}"
                found.append((kind, str(entry.get("path", ""))))
    pages = (data.get("infos") or {}).get("crawled_pages_nbr")
    print(f"wapiti3: {pages or '?'} pages, {elapsed:.1f} s")
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
    our_runs = [ours() for _ in range(args.repeat)]
    their_runs = [wapiti(args.wapiti, work) for _ in range(args.repeat)] if args.wapiti else []
    our_time = statistics.median(run[0] for run in our_runs)
    print(f"ours: median {our_time:.1f} s {[round(r[0], 1) for r in our_runs]}")
    if their_runs:
        their_time = statistics.median(run[0] for run in their_runs)
        print(f"wapiti3 -m {WAPITI_MODULES}: median {their_time:.1f} s "
              f"{[round(r[0], 1) for r in their_runs]}")  # fmt: skip
    print("| class | ours | ours on safe twin | wapiti3 | wapiti3 on safe twin |")
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
        padded = row + [False] * (4 - len(row))
        totals = [t + (1 if v else 0) for t, v in zip(totals, padded, strict=True)]
        print(f"| {name} | {' | '.join(cells)} |")
    print(f"| **total ({len(CASES)} classes)** | {' | '.join(str(t) for t in totals)} |")


if __name__ == "__main__":
    main()
