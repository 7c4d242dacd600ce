"""The built-in engine on real apps: what it finds, what it must not, and when it saw too little."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytest_devsecops.dast.app import AppError, run_command, serve_wsgi
from pytest_devsecops.dast.engine import BuiltinEngine
from pytest_devsecops.dast.findings import path_template, to_findings
from pytest_devsecops.dast.interface import DastOptions
from pytest_devsecops.dast.scope import resolve_scope
from pytest_devsecops.dast.target import TargetConfig
from pytest_devsecops.scanners.dast import DastScanner, build_result
from pytest_devsecops.scanners.interface import ScanContext

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "example_project"
sys.path.insert(0, str(HERE / "apps"))
import small_apps  # noqa: E402

PLANTED = {
    "10010",
    "10054-1",
    "10020-1",
    "10021",
    "10038-1",
    "10037",  # headers, cookie
    "40012",
    "40018",
    "20019-1",
    "40003",  # /go writes its input into Location as it is: a CR LF there starts a header
    "10023",
    "90022",
    "10202",  # XSS, SQLi, redirect, debug page, CSRF
}


def scan(app: object, **options: object) -> list[tuple[str, str]]:
    with serve_wsgi(app) as base:  # type: ignore[arg-type]
        report = BuiltinEngine().scan(resolve_scope(base), base + "/", DastOptions(**options))  # type: ignore[arg-type]
    return [(f.rule, f.item_label) for f in to_findings(report.alerts, "dast", "pyproject.toml")]


@pytest.fixture(scope="module")
def example_app() -> object:
    sys.path.insert(0, str(EXAMPLE))
    from shop.web import app

    return app


def test_every_planted_issue_is_found_and_no_decoy(example_app: object) -> None:
    found = scan(example_app, active=True)
    assert {rule for rule, _ in found} == PLANTED
    assert ("40012", "GET /search q") in found
    assert ("40018", "GET /orders customer") in found
    assert ("20019-1", "GET /go next") in found
    for decoy in ("/safe-search", "/help/passwd", "/sql-help", "/safe-go"):
        assert not [label for _, label in found if decoy in label], decoy


def test_passive_only_sends_no_attack(example_app: object) -> None:
    found = {rule for rule, _ in scan(example_app, active=False)}
    assert found == PLANTED - {"40012", "40018", "20019-1", "40003"}


def test_a_hardened_app_has_nothing_to_report() -> None:
    assert scan(small_apps.hardened, active=True) == []


def test_two_hundred_pages_of_one_template_are_one_finding() -> None:
    with serve_wsgi(small_apps.many_items) as base:
        report = BuiltinEngine().scan(resolve_scope(base), base + "/", DastOptions(max_pages=300))
    (finding,) = [f for f in to_findings(report.alerts, "dast", "") if f.rule == "90022"]
    assert finding.item_label == "GET /item/{id}"
    assert dict(finding.details)["seen on"].startswith("200 URLs: ")


@pytest.mark.parametrize(
    ("url", "template"),
    [
        ("http://h/orders/42/items/7?x=1", "/orders/{id}/items/{id}"),
        ("http://h/u/0b6f8a5e-3c1d-4b8e-9f2a-1234567890ab", "/u/{uuid}"),
        ("http://h/blob/0123456789abcdef0123", "/blob/{hex}"),
        ("http://h", "/"),
    ],
)
def test_path_templates(url: str, template: str) -> None:
    assert path_template(url) == template


def test_hostile_responses_are_survived() -> None:
    with serve_wsgi(small_apps.hostile) as base:
        report = BuiltinEngine().scan(resolve_scope(base), base + "/", DastOptions(max_seconds=30))
    by_path = {page.url.rsplit("/", 1)[-1]: page for page in report.pages}
    assert "more than 5 redirects" in by_path["loop"].error
    assert by_path["huge"].status == 200


def context(tmp_path: Path) -> ScanContext:
    return ScanContext(root=tmp_path, paths=(tmp_path,), excludes=(), timeout=60, workdir=tmp_path)


def test_an_empty_200_everywhere_is_not_a_clean_scan(tmp_path: Path) -> None:
    with serve_wsgi(small_apps.empty) as base:
        scanner = DastScanner(TargetConfig(url=base), DastOptions())
        result = scanner.scan(context(tmp_path))
    assert not result.complete
    assert "saw 0 in-scope page(s) with content" in result.error


def test_an_unreachable_target_is_an_error(tmp_path: Path) -> None:
    from pytest_devsecops.dast.app import free_port

    result = DastScanner(TargetConfig(url=f"http://127.0.0.1:{free_port()}"), DastOptions()).scan(
        context(tmp_path)
    )
    assert "fewer than" in result.error or "reached no page" in result.error
    assert result.coverage.skipped  # the connection error is listed


def test_a_refused_target_fails_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    def refuse(*args: object) -> None:
        raise AssertionError("connected")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    result = DastScanner(TargetConfig(url="http://169.254.169.254/"), DastOptions()).scan(
        context(tmp_path)
    )
    assert "not loopback" in result.error
    assert "devsecops_allowed_hosts" in result.hint


def test_a_command_that_exits_is_an_error_with_its_log(tmp_path: Path) -> None:
    command = (
        f"{sys.executable} -c \"import sys; print('boom: missing DATABASE_URL'); sys.exit(3)\""
    )
    with pytest.raises(AppError, match=r"exited with status 3(.|\n)*missing DATABASE_URL"):  # noqa: SIM117
        with run_command(command, timeout=10):
            pass


def test_a_command_app_and_its_children_are_stopped(tmp_path: Path) -> None:
    server = tmp_path / "server.py"
    server.write_text(
        textwrap.dedent(
            """
        import subprocess, sys, http.server, pathlib
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        pathlib.Path(sys.argv[2]).write_text(str(child.pid))
        http.server.test(HandlerClass=http.server.SimpleHTTPRequestHandler, port=int(sys.argv[1]),
                         bind="127.0.0.1")
        """
        )
    )
    pidfile = tmp_path / "child.pid"
    with run_command(
        f"{sys.executable} {server} {{port}} {pidfile}", timeout=20, cwd=tmp_path
    ) as base:
        assert base.startswith("http://127.0.0.1:")
        child = int(pidfile.read_text())
        os.kill(child, 0)  # alive while the app runs
    time.sleep(0.2)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def test_too_few_pages_is_explained() -> None:
    from pytest_devsecops.dast.interface import DastReport, PageVisit

    report = DastReport(
        "builtin", "http://127.0.0.1:1/", (PageVisit("GET", "http://127.0.0.1:1/", 404),)
    )
    result = build_result("dast", "builtin engine", report, 1, "", 0.0)
    assert "answers: 404" in result.error


def test_xss_breaking_out_of_an_attribute_is_found() -> None:
    assert ("40012", "GET / q") in scan(small_apps.attribute_reflection, active=True)


def test_cookies_set_only_on_post_answers_are_judged_during_active_probes() -> None:
    rules = {rule for rule, _ in scan(small_apps.post_only_cookie, active=True)}
    assert {"10010", "10054-1"} <= rules
