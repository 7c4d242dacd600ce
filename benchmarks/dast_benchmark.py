"""Benchmark: DAST of a generated ~500-page app on loopback, ours next to wapiti3.

Run by hand (not part of the test suite):

    python benchmarks/dast_benchmark.py [--pages 500] [--wapiti PATH-TO-wapiti]

wapiti3 comes from PyPI (`pip install wapiti3`, best in its own venv). Both tools scan the same
in-process WSGI app on 127.0.0.1; the script prints wall times, pages per second, their ratio,
and which planted issues each tool reported.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from pytest_devsecops.dast.app import serve_wsgi
from pytest_devsecops.dast.engine import BuiltinEngine
from pytest_devsecops.dast.findings import to_findings
from pytest_devsecops.dast.interface import DastOptions
from pytest_devsecops.dast.scope import resolve_scope

PLANTED = {
    "missing CSP": ("10038-1", ("csp", "content security policy")),
    "missing anti-clickjacking": ("10020-1", ("clickjacking", "x-frame-options")),
    "missing X-Content-Type-Options": ("10021", ("x-content-type-options",)),
    "cookie without HttpOnly": ("10010", ("httponly",)),
    "cookie without Secure": ("10011", ("secure flag", "secure")),
    "reflected XSS (/search q)": ("40012", ("cross site scripting", "xss")),
    "SQL injection, error based (/item id)": ("40018", ("sql injection",)),
    "open redirect (/go url)": ("20019-1", ("open redirect", "redirect")),
}


def make_app(pages: int) -> Any:
    sections = 10
    per_section = pages // sections

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "/")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        headers = [("Content-Type", "text/html; charset=utf-8")]
        if path == "/":
            links = "".join(f"<a href='/s{s}/p0'>section {s}</a> " for s in range(sections))
            links += (
                "<a href='/search?q=x'>search</a> <a href='/item?id=1'>item</a> "
                "<a href='/go?url=/'>go</a>"
            )
            headers.append(("Set-Cookie", "sid=abc; Path=/"))
            body = links
        elif path.startswith("/s") and path[2:3].isdigit():
            section, _, page = path[2:].partition("/p")
            number = int(page or 0)
            following = "".join(
                f"<a href='/s{section}/p{n}'>p{n}</a> "
                for n in range(number + 1, min(number + 4, per_section))
            )
            body = (
                f"<h1>Section {escape(section)} page {number}</h1><p>{'text ' * 40}</p>{following}"
            )
        elif path == "/search":
            body = "<p>Results for " + query.get("q", "") + "</p>"
        elif path == "/item":
            if "'" in query.get("id", ""):
                start_response("500 Internal Server Error", headers)
                return [b'<pre>sqlite3.OperationalError: unrecognized token: "\'"</pre>']
            body = "<p>item</p>"
        elif path == "/go":
            start_response("302 Found", [("Location", query.get("url", "/"))])
            return [b""]
        else:
            start_response("404 Not Found", headers)
            return [b"<p>no</p>"]
        start_response("200 OK", headers)
        return [f"<html><head><title>t</title></head><body>{body}</body></html>".encode()]

    return app


def ours(base: str, pages: int, active: bool) -> tuple[float, int, set[str]]:
    started = time.perf_counter()
    report = BuiltinEngine().scan(
        resolve_scope(base),
        base + "/",
        DastOptions(active=active, max_pages=pages + 50, max_depth=pages, max_seconds=600),
    )
    elapsed = time.perf_counter() - started
    rules = {f.rule for f in to_findings(report.alerts, "dast", "")}
    return elapsed, len(report.pages), rules


def wapiti(executable: str, base: str, modules: str, work: Path) -> tuple[float, int, str]:
    output = work / f"wapiti-{modules.replace(',', '_')}.json"
    command = [
        executable,
        "-u",
        base + "/",
        "--scope",
        "folder",
        "-m",
        modules,
        "--flush-session",
        "-f",
        "json",
        "-o",
        str(output),
        "-d",
        "600",
        "--max-links-per-page",
        "1000",
        "--max-scan-time",
        "600",
        "-v",
        "0",
        "--store-session",
        str(work / "session"),
    ]
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - started
    data = json.loads(output.read_text()) if output.exists() else {}
    crawled = int(data.get("infos", {}).get("crawled_pages_nbr", 0))
    text = json.dumps({k: v for k, v in data.get("vulnerabilities", {}).items() if v}).lower()
    text += json.dumps({k: v for k, v in data.get("anomalies", {}).items() if v}).lower()
    return elapsed, crawled, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--wapiti", default=shutil.which("wapiti") or "")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dast-bench-"))
    with serve_wsgi(make_app(args.pages)) as base:
        passive_runs = [ours(base, args.pages, False) for _ in range(args.repeat)]
        active_runs = [ours(base, args.pages, True) for _ in range(args.repeat)]
        passive_time = statistics.median(run[0] for run in passive_runs)
        active_time = statistics.median(run[0] for run in active_runs)
        pages = passive_runs[0][1]
        print(
            f"ours, passive: {pages} pages, median {passive_time:.2f} s "
            f"({pages / passive_time:.0f} pages/s) {[round(r[0], 2) for r in passive_runs]}"
        )
        print(
            f"ours, passive + active: median {active_time:.2f} s "
            f"{[round(r[0], 2) for r in active_runs]}"
        )
        our_rules = active_runs[0][2]
        if not args.wapiti:
            print("wapiti not found: pass --wapiti PATH")
            return
        passive_modules = "http_headers,cookieflags,csp"
        active_modules = passive_modules + ",xss,sql,redirect"
        w_passive = [wapiti(args.wapiti, base, passive_modules, work) for _ in range(args.repeat)]
        w_active = [wapiti(args.wapiti, base, active_modules, work) for _ in range(args.repeat)]
    wp_time = statistics.median(run[0] for run in w_passive)
    wa_time = statistics.median(run[0] for run in w_active)
    print(
        f"wapiti3, {passive_modules}: {w_passive[0][1]} pages crawled, median {wp_time:.2f} s "
        f"{[round(r[0], 2) for r in w_passive]}"
    )
    print(
        f"wapiti3, + xss,sql,redirect: median {wa_time:.2f} s {[round(r[0], 2) for r in w_active]}"
    )
    print(
        f"ratios (wapiti / ours): passive {wp_time / passive_time:.1f}x, "
        f"active {wa_time / active_time:.1f}x"
    )
    wapiti_text = w_active[0][2]
    print(f"{'planted issue':42} ours  wapiti3")
    for name, (rule, words) in PLANTED.items():
        found_ours = "yes" if rule in our_rules else "no"
        found_wapiti = "yes" if any(word in wapiti_text for word in words) else "no"
        print(f"{name:42} {found_ours:5} {found_wapiti}")


if __name__ == "__main__":
    main()
