"""Benchmark: our DAST engine next to wapiti3 on the three held-out apps in benchmarks/heldout/.

Run by hand (not part of the test suite), inside a loopback-only network namespace so that
nothing can leave the machine:

    unshare -rn sh -c 'ip link set lo up && python benchmarks/heldout_benchmark.py \
        --wapiti /work/wapiti-venv/bin/wapiti'

Needs `pip install flask django lxml` next to the project. Each tool scans a fresh app process
(wapiti's slow probes must not leave state behind for ours, nor the other way round): the flask
shop through its login form, the JSON API with its bearer token and its OpenAPI document, the
Django blog as it is. A row says whether each tool reported the planted endpoint and input
(recall) and whether it reported its safe twin under /safe (a false positive). wapiti3 has no
template-injection module, and its SSRF and XXE modules need its public out-of-band server, so
those rows are n/a for it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "heldout"))
sys.path.insert(0, str(HERE.parent))

from pytest_devsecops.dast.auth import AuthConfig, LoginConfig  # noqa: E402
from pytest_devsecops.dast.engine import BuiltinEngine  # noqa: E402
from pytest_devsecops.dast.findings import path_template  # noqa: E402
from pytest_devsecops.dast.interface import DastOptions  # noqa: E402
from pytest_devsecops.dast.scope import resolve_scope  # noqa: E402

SQL, XSS = ("sql injection",), ("cross site scripting",)


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    path: str  # the vulnerable endpoint; its safe twin is /safe + path
    rule: str  # our rule id prefix
    param: str  # a piece of our finding's input label
    words: tuple[str, ...] | None  # words of wapiti's category name; None: wapiti cannot say


CASES: dict[str, list[Case]] = {
    "flask_shop": [
        Case("SQLi error, numeric", "/products", "40018", "cat", SQL),
        Case("SQLi error, string (LIKE)", "/search", "40018", "q", SQL),
        Case("SQLi boolean blind, numeric", "/orders", "40018", "id", SQL),
        Case("SQLi boolean blind, string", "/coupon", "40018", "code", SQL),
        Case("XSS in an element", "/hello", "40012", "name", XSS),
        Case("XSS in a quoted attribute", "/banner", "40012", "color", XSS),
        Case("XSS in a JS string", "/track", "40012", "ref", XSS),
        Case("stored XSS (CSRF form)", "/reviews", "40014", "review", ("stored cross",)),
        Case("open redirect (Location)", "/continue", "20019", "next", ("redirect",)),
        Case("template injection (Jinja2)", "/preview", "90035", "name", None),
        Case("path traversal", "/manual", "6-", "page", ("path traversal",)),
        Case("command injection (POST, CSRF)", "/stock", "90020", "sku", ("command",)),
        Case("blind command injection", "/notify", "90020", "email", ("command",)),
    ],
    "json_api": [
        Case("SQLi error, numeric path segment", "/api/users/1", "40018", "path:", SQL),
        Case("SQLi error, string", "/api/users", "40018", "name", SQL),
        Case("SQLi boolean blind, numeric", "/api/invoices", "40018", "owner", SQL),
        Case("SQLi in a JSON body", "/api/notes", "40018", "title", SQL),
        Case("command injection, JSON body", "/api/diagnostics", "90020", "host", ("command",)),
        Case("template injection, JSON body", "/api/mail/render", "90035", "greeting", None),
        Case("path traversal", "/api/attachments", "6-", "file", ("path traversal",)),
        Case("SSRF, JSON body", "/api/webhooks", "40046", "callback_url", None),
        Case("XXE on an XML body", "/api/import", "90023", "", None),
        Case("XPath injection", "/api/roles", "90021", "login", ("xpath", "sql injection")),
        Case("LDAP injection", "/api/directory", "40015", "cn", ("ldap",)),
        Case("CRLF injection", "/api/export", "40003", "filename", ("crlf",)),
        Case("XSS in an HTML preview", "/api/mail/preview", "40012", "subject", XSS),
        Case("open redirect (Location)", "/api/sso/callback", "20019", "return_to", ("redirect",)),
    ],
    "django_blog": [
        Case("SQLi error, numeric (DEBUG page)", "/post/", "40018", "id", SQL),
        Case("SQLi error, numeric path segment", "/entry/2/", "40018", "path:", SQL),
        Case("SQLi boolean blind, numeric", "/archive/", "40018", "year", SQL),
        Case("XSS in an element", "/search/", "40012", "q", XSS),
        Case("XSS in an unquoted attribute", "/tag/", "40012", "t", XSS),
        Case("XSS in href (javascript:)", "/author/", "40012", "site", XSS),
        Case("stored XSS (Django CSRF)", "/comments/", "40014", "text", ("stored cross",)),
        Case("template injection (Django)", "/greet/", "90035", "name", None),
        Case("open redirect (meta refresh)", "/out/", "20019", "url", ("redirect",)),
        Case("open redirect (JS location)", "/bounce/", "20019", "next", ("redirect",)),
        Case("command injection (double quotes)", "/export/", "90020", "fmt", ("command",)),
        Case("SSRF", "/feed/", "40046", "source", None),
        Case("file read via the fetcher (file:)", "/feed/", "6-", "source", ("path traversal",)),
        Case("path traversal", "/attachment/", "6-", "name", ("path traversal",)),
    ],
}
WAPITI_MODULES = "sql,xss,permanentxss,exec,file,redirect,crlf,ldap"


def _load_app(name: str) -> Any:
    import importlib

    module = importlib.import_module(name)
    if name == "flask_shop":
        return module.create_app()
    if name == "django_blog":
        return module.application()
    return module.app


def serve(name: str) -> None:
    """Child process: serve one app on loopback and print its URL until killed."""
    from pytest_devsecops.dast.app import serve_wsgi

    logging.disable(logging.CRITICAL)
    with serve_wsgi(_load_app(name)) as base:
        print(base, flush=True)
        while True:
            time.sleep(3600)


@contextlib.contextmanager
def fresh_app(name: str) -> Iterator[str]:
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", name],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        child.kill()
        child.wait()


def our_options(name: str) -> DastOptions:
    options = DastOptions(active=True, max_seconds=600, max_pages=200)
    if name == "flask_shop":
        # names of environment variables, not credentials
        login = LoginConfig("/login", username_env="HELDOUT_USER", password_env="HELDOUT_PASSWORD")  # noqa: S106
        return dataclasses.replace(options, auth=AuthConfig(login=login))
    if name == "json_api":
        import json_api

        auth = AuthConfig(headers=(("Authorization", f"Bearer {json_api.TOKEN}"),))
        return dataclasses.replace(options, auth=auth, openapi_url="/openapi.json")
    return options


def ours(name: str) -> tuple[float, list[tuple[str, str, str]], str]:
    import flask_shop

    os.environ["HELDOUT_USER"], os.environ["HELDOUT_PASSWORD"] = (
        flask_shop.USER,
        flask_shop.PASSWORD,
    )
    with fresh_app(name) as base:
        started = time.perf_counter()
        report = BuiltinEngine().scan(resolve_scope(base), base + "/", our_options(name))
        elapsed = time.perf_counter() - started
    note = f"{len(report.answered)} pages answered, {report.requests} requests"
    if report.authenticated:
        behind = sum(1 for page in report.pages if page.authenticated)
        note += f", {behind} pages behind the login"
    if report.error or report.stopped:
        note += f"; {report.error or report.stopped}"
    found = [(a.rule, path_template(a.url), a.param) for a in report.alerts]
    return elapsed, found, note


def ours_found(found: list[tuple[str, str, str]], case: Case, safe: bool) -> bool:
    template = path_template(("/safe" if safe else "") + case.path)
    return any(
        rule.startswith(case.rule) and where == template and case.param in param
        for rule, where, param in found
    )


def wapiti(executable: str, name: str, work: Path) -> tuple[float, list[tuple[str, str]], str]:
    import flask_shop
    import json_api

    output = work / f"wapiti-{name}.json"
    with fresh_app(name) as base:
        command = [
            executable, "-u", base + "/", "--scope", "folder", "-m", WAPITI_MODULES,
            "--flush-session", "-f", "json", "-o", str(output), "-d", "10",
            "--max-scan-time", "900", "-v", "0", "--store-session", str(work / "session"),
        ]  # fmt: skip
        if name == "flask_shop":
            command += ["--form-url", base + "/login", "--form-user", flask_shop.USER,
                        "--form-password", flask_shop.PASSWORD, "-x", base + "/logout"]  # fmt: skip
        if name == "json_api":
            command += ["--swagger", base + "/openapi.json",
                        "-H", f"Authorization: Bearer {json_api.TOKEN}"]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=1200)
        elapsed = time.perf_counter() - started
    data: dict[str, Any] = json.loads(output.read_text()) if output.exists() else {}
    found = []
    for category, entries in (data.get("vulnerabilities") or {}).items():
        for entry in entries or []:
            text = f"{category} {entry.get('info', '')}".lower()
            found.append((text, path_template(str(entry.get("path", "")).split("?")[0])))
    note = "" if output.exists() else f"no report: {done.stderr[-300:]}"
    return elapsed, found, note


def wapiti_found(found: list[tuple[str, str]], case: Case, safe: bool) -> bool:
    template = path_template(("/safe" if safe else "") + case.path)
    words = case.words or ()
    return any(any(w in text for w in words) and where == template for text, where in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--wapiti", default="")
    parser.add_argument("--apps", default=",".join(CASES))
    parser.add_argument("--serve", default="")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="heldout-"))
    totals = {"cases": 0, "ours": 0, "ours_fp": 0, "theirs": 0, "theirs_fp": 0}
    for name in args.apps.split(","):
        our_time, our_found, our_note = ours(name)
        print(f"\n### {name}\nours: {our_time:.1f} s ({our_note})")
        their: tuple[float, list[tuple[str, str]], str] | None = None
        if args.wapiti:
            their = wapiti(args.wapiti, name, work)
            print(f"wapiti3 -m {WAPITI_MODULES}: {their[0]:.1f} s {their[2]}")
        print("\n| class | endpoint | ours | ours on safe twin | wapiti3 | wapiti3 on safe twin |")
        print("|---|---|---|---|---|---|")
        for case in CASES[name]:
            row = [ours_found(our_found, case, False), ours_found(our_found, case, True)]
            cells = ["yes" if v else "no" for v in row]
            totals["cases"] += 1
            totals["ours"] += row[0]
            totals["ours_fp"] += row[1]
            if their is not None and case.words is not None:
                theirs = [wapiti_found(their[1], case, False), wapiti_found(their[1], case, True)]
                cells += ["yes" if v else "no" for v in theirs]
                totals["theirs"] += theirs[0]
                totals["theirs_fp"] += theirs[1]
            else:
                cells += ["n/a", "n/a"]
            print(f"| {case.name} | `{case.path}` | {' | '.join(cells)} |")
    print(f"\ntotal: {totals}")


if __name__ == "__main__":
    main()
