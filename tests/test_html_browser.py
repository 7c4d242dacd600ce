"""The HTML report in a real browser (Debian's Chromium through Playwright, never a download)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from html_fixtures import HOSTILE_TITLE, TODAY, hostile_report

from pytest_devsecops.reporters.html import HtmlReporter

CHROMIUM = Path("/usr/bin/chromium")
EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"
# Installed before the page's own script: collects CSP violations the page would not report.
WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="the browser tests need Debian's chromium at /usr/bin/chromium "
    "(apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


class Page:
    """A loaded report page, with every console error, page error and CSP violation kept."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page()
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.page.on(
            "console",
            lambda msg: (
                self.problems.append(msg.text) if msg.type in ("error", "warning") else None
            ),
        )
        self.page.on("pageerror", lambda exc: self.problems.append(str(exc)))
        self.page.on(
            "dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss())
        )
        self.page.on(
            "request",
            lambda req: None if req.url.startswith("file:") else self.problems.append(req.url),
        )
        self.page.add_init_script(WATCH_CSP)
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def visible_rows(self) -> int:
        return int(self.page.locator("#findings tbody tr:not(.hidden)").count())

    def violations(self) -> list[str]:
        return list(self.page.evaluate("window.__violations"))


def _report_file(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(HtmlReporter(today=TODAY).render(hostile_report()), encoding="utf-8")
    return path


def test_loads_clean_and_the_hostile_title_is_only_text(browser: Any, tmp_path: Path) -> None:
    view = Page(browser, _report_file(tmp_path))
    assert view.problems == []
    assert view.violations() == []
    assert view.dialogs == []
    assert view.page.evaluate("window.pwned === undefined")
    assert view.page.locator("img").count() == 0
    assert view.page.get_by_text(HOSTILE_TITLE, exact=True).count() == 1
    assert view.page.locator("#shown").inner_text() == "4 of 4 findings shown"


def test_filters_by_severity_outcome_and_text(browser: Any, tmp_path: Path) -> None:
    view = Page(browser, _report_file(tmp_path))
    view.page.select_option("#filter-severity", "high")
    assert view.visible_rows() == 1
    view.page.select_option("#filter-severity", "")
    view.page.select_option("#filter-outcome", "baselined")
    assert view.visible_rows() == 1
    view.page.select_option("#filter-outcome", "")
    view.page.fill("#filter-search", "jinja2")
    assert view.visible_rows() == 1
    assert view.page.locator("#shown").inner_text() == "1 of 4 findings shown"
    view.page.fill("#filter-search", "")
    view.page.fill("#filter-location", "app/run.py")
    assert view.visible_rows() == 3
    assert view.problems == []
    assert view.violations() == []


def test_sorts_by_severity_both_ways(browser: Any, tmp_path: Path) -> None:
    view = Page(browser, _report_file(tmp_path))
    header = view.page.locator('th[data-key="Severity"] button')
    header.click()
    first = view.page.locator("#findings tbody tr").first
    assert first.get_attribute("data-severity") == "critical"
    header.click()
    assert view.page.locator("#findings tbody tr").first.get_attribute("data-severity") == "low"


def test_the_example_projects_report_opens_clean(
    browser: Any, pytester: pytest.Pytester, tmp_path: Path
) -> None:
    shutil.copytree(
        EXAMPLE, pytester.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".pytest_cache")
    )
    report = tmp_path / "example.html"
    pytester.runpytest_subprocess(
        "--devsecops", "--devsecops-html", str(report), "-p", "no:cacheprovider"
    )
    view = Page(browser, report)
    assert view.problems == []
    assert view.violations() == []
    assert view.page.locator("#verdict").inner_text() == "FAILED"
    total = view.visible_rows()
    assert total >= 30
    view.page.select_option("#filter-severity", "high")
    assert 0 < view.visible_rows() < total
    assert view.page.locator("#pages li").count() >= 5
