"""An update removes only entries whose location this run fully covered and found clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_devsecops.core.baseline import Baseline, Entry
from pytest_devsecops.core.finding import Component, Coverage, ScanResult, Skipped
from pytest_devsecops.core.policy import covers, uncovered_entries

BASELINE = ".devsecops-baseline.yml"


def entry(scanner: str, path: str, mark: str = "a") -> Entry:
    return Entry(fingerprint=mark * 24, scanner=scanner, rule="R1", path=path)


@pytest.mark.parametrize(
    ("result", "path", "expected"),
    [
        (ScanResult("bandit", "bandit", "1", coverage=Coverage(scanned=("a.py",))), "a.py", True),
        (ScanResult("bandit", "bandit", "1", coverage=Coverage(scanned=("a.py",))), "b.py", False),
        (
            ScanResult("bandit", "bandit", "1", coverage=Coverage(requested=("app",))),
            "app/x.py",
            True,
        ),
        (
            ScanResult("bandit", "bandit", "1", coverage=Coverage(requested=("app",))),
            "lib/x.py",
            False,
        ),
        (
            ScanResult("bandit", "bandit", "1", coverage=Coverage(requested=(".",))),
            "lib/x.py",
            True,
        ),
        (
            ScanResult("bandit", "bandit", "1", coverage=Coverage(scanned=("a.py",)), error="boom"),
            "a.py",
            False,
        ),
        (
            ScanResult(
                "bandit",
                "bandit",
                "1",
                coverage=Coverage(scanned=("a.py",), skipped=(Skipped("a.py", "syntax"),)),
            ),
            "a.py",
            False,
        ),
    ],
)
def test_a_file_scanner_covers_exactly_the_files_it_scanned(
    result: ScanResult, path: str, expected: bool
) -> None:
    assert covers(result, entry("bandit", path)) is expected


def dependencies(*skipped: Skipped) -> ScanResult:
    return ScanResult(
        "pip-audit",
        "pip-audit",
        "1",
        coverage=Coverage(scanned=("jinja2==2.0",), skipped=skipped, unit="dependencies"),
        components=(Component("jinja2", "2.0", "pkg:pypi/jinja2@2.0", "requirements.txt"),),
    )


def test_a_dependency_the_service_failed_on_keeps_every_audit_entry() -> None:
    assert covers(dependencies(), entry("pip-audit", "requirements.txt"))
    failed = dependencies(Skipped("flask==1.0", "osv advisory service failed: 503"))
    assert not covers(failed, entry("pip-audit", "requirements.txt"))


def test_a_dependency_file_that_was_not_read_is_not_covered() -> None:
    assert not covers(dependencies(), entry("pip-audit", "requirements-dev.txt"))


def test_a_dast_page_that_timed_out_keeps_every_dast_entry() -> None:
    pages = Coverage(scanned=("http://127.0.0.1:1/",), unit="pages")
    clean = ScanResult("dast", "builtin", "1", coverage=pages)
    assert covers(clean, entry("dast", "GET /search"))
    timed_out = ScanResult(
        "dast",
        "builtin",
        "1",
        coverage=Coverage(
            scanned=pages.scanned,
            skipped=(Skipped("http://127.0.0.1:1/slow", "timed out"),),
            unit="pages",
        ),
    )
    assert not covers(timed_out, entry("dast", "GET /search"))


def test_entries_of_scanners_that_did_not_run_are_uncovered() -> None:
    baseline = Baseline(
        path=Path("b.yml"),
        entries=(entry("bandit", "a.py", "a"), entry("pip-audit", "requirements.txt", "b")),
        text="",
    )
    result = ScanResult("bandit", "bandit", "1", coverage=Coverage(scanned=("a.py",)))
    assert [e.scanner for e in uncovered_entries([result], baseline)] == ["pip-audit"]


@pytest.fixture
def two_folders(project: pytest.Pytester) -> pytest.Pytester:
    lib = project.mkpydir("lib")
    (lib / "tool.py").write_text(
        "import pickle\n\n\ndef load(data):\n    return pickle.loads(data)\n"
    )
    accepted = project.runpytest(
        "--devsecops", "--devsecops-update-baseline", "-o", "devsecops_paths=app lib"
    )
    accepted.stdout.fnmatch_lines(["baseline updated: 5 added, 0 removed*"])
    return project


def test_narrowed_paths_keep_the_entries_of_the_other_folder(two_folders: pytest.Pytester) -> None:
    baseline = two_folders.path / BASELINE
    before = baseline.read_bytes()
    run = two_folders.runpytest("--devsecops", "-o", "devsecops_paths=app")
    run.assert_outcomes(passed=2, xfailed=3)  # no stale failures for lib/
    update = two_folders.runpytest(
        "--devsecops", "--devsecops-update-baseline", "-o", "devsecops_paths=app"
    )
    update.stdout.fnmatch_lines(
        ["baseline already up to date; not rewritten; kept 2 entries not covered by this run"]
    )
    assert baseline.read_bytes() == before


def test_an_unparseable_file_keeps_its_entries_and_a_fixed_one_goes(
    two_folders: pytest.Pytester,
) -> None:
    baseline = two_folders.path / BASELINE
    (two_folders.path / "lib" / "tool.py").write_text("def broken(:\n")
    run_py = two_folders.path / "app" / "run.py"
    run_py.write_text(run_py.read_text().replace("hashlib.md5(", "hashlib.sha256("))
    update = two_folders.runpytest(
        "--devsecops", "--devsecops-update-baseline", "-o", "devsecops_paths=app lib"
    )
    update.stdout.fnmatch_lines(
        ["baseline updated: 0 added, 1 removed (*); kept 2 entries not covered by this run"]
    )
    text = baseline.read_text()
    assert "lib/tool.py" in text
    assert "B324" not in text


def test_a_scanner_that_was_not_selected_loses_nothing(two_folders: pytest.Pytester) -> None:
    baseline = two_folders.path / BASELINE
    text = baseline.read_text()
    foreign = (
        '  - fingerprint: "' + "f" * 24 + '"\n    scanner: pip-audit\n    rule: PYSEC-1\n'
        "    path: requirements.txt\n"
    )
    baseline.write_text(text + foreign)
    update = two_folders.runpytest(
        "--devsecops", "--devsecops-update-baseline", "-o", "devsecops_paths=app lib"
    )
    update.stdout.fnmatch_lines(["*kept 1 entry not covered by this run"])
    assert "PYSEC-1" in baseline.read_text()


def test_a_failed_scanner_removes_nothing(two_folders: pytest.Pytester) -> None:
    baseline = two_folders.path / BASELINE
    before = baseline.read_bytes()
    (two_folders.path / "app" / "run.py").write_text("x = 1\n")
    update = two_folders.runpytest(
        "--devsecops",
        "--devsecops-update-baseline",
        "-o",
        "devsecops_paths=app lib",
        "-o",
        "devsecops_timeout=0.001",
    )
    update.stdout.fnmatch_lines(["*kept 5 entries not covered by this run"])
    assert baseline.read_bytes() == before


def test_a_dast_scan_stopped_by_its_limits_covers_no_entry() -> None:
    from pytest_devsecops.dast.interface import DastReport, PageVisit
    from pytest_devsecops.scanners.dast import build_result

    page = PageVisit("GET", "http://127.0.0.1:1/", 200, size=10)
    full = build_result(
        "dast", "builtin", DastReport("builtin", "http://127.0.0.1:1/", (page,)), 1, "", 0.0
    )
    assert full.complete
    assert covers(full, entry("dast", "GET /search"))
    stopped = build_result(
        "dast",
        "builtin",
        DastReport("builtin", "http://127.0.0.1:1/", (page,), stopped="max pages (1) reached"),
        1,
        "",
        0.0,
    )
    assert stopped.complete  # a limit the user chose is not a failure...
    assert not covers(stopped, entry("dast", "GET /search"))  # ...but proves nothing either
