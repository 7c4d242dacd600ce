"""The HTML report as text: escaping, the CSP it declares, its sections, and the CLI option."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re

import pytest
from html_fixtures import HOSTILE_SNIPPET, HOSTILE_TITLE, TODAY, hostile_report

from pytest_devsecops.reporters.html import HtmlReporter


@pytest.fixture(scope="module")
def page() -> str:
    return HtmlReporter(today=TODAY).render(hostile_report())


def test_hostile_text_is_escaped_everywhere(page: str) -> None:
    assert HOSTILE_TITLE not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert HOSTILE_SNIPPET not in page
    assert "&lt;/textarea&gt;&lt;/pre&gt;&lt;script&gt;" in page
    # Exactly one script element: ours.
    assert page.count("<script") == 1
    assert "team-&lt;b&gt;payments&lt;/b&gt;" in page


def test_secrets_are_redacted_and_only_web_links_are_links(page: str) -> None:
    assert "hunter2secret" not in page
    assert 'href="https://cwe.mitre.org/data/definitions/327.html"' in page
    assert 'href="javascript:' not in page


def test_the_csp_allows_exactly_the_inline_style_and_script(page: str) -> None:
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    assert "default-src 'none'" in policy.group(1)
    for tag in ("style", "script"):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        assert body is not None
        digest = base64.b64encode(hashlib.sha256(body.group(1).encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in policy.group(1)
    # Nothing is fetched: no external source, no stylesheet link, no font.
    assert not re.search(r"\s(src|href)=\"(?!https://cwe)", page.replace('href="https://cwe', ""))
    assert "@import" not in page
    assert "url(" not in page


def test_sections_show_verdict_scanners_attention_and_pages(page: str) -> None:
    assert 'id="verdict">FAILED<' in page
    assert "findings at or above <strong>medium</strong> fail" in page
    assert "1.8.6" in page
    assert "1 files scanned (asked: app)" in page
    # The stale entry and the acceptance expiring in 5 days are both called out.
    attention = page[page.index('id="attention"') :]
    assert "fp-stale" in attention
    assert f"expires {TODAY.replace(day=7).isoformat()}" in attention
    assert "legacy checksum, not security relevant" in attention
    assert "http://127.0.0.1:1/&lt;x&gt;" in page[page.index('id="pages"') :]
    assert page.count('<tr data-scanner="') == 4


def test_option_writes_the_report_atomically(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops", "--devsecops-html", "out/report.html")
    result.assert_outcomes(passed=2, failed=2, xfailed=1)
    page = (project.path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'id="verdict">FAILED<' in page
    assert "B602" in page
    assert "app/run.py:6" in page
    assert not list((project.path / "out").glob(".*tmp*"))


def test_option_refuses_to_write_through_a_symlink(project: pytest.Pytester) -> None:
    target = project.path / "elsewhere.html"
    target.write_text("keep")
    (project.path / "report.html").symlink_to(target)
    result = project.runpytest("--devsecops", "--devsecops-html", "report.html")
    assert "could not write" in result.stdout.str()
    assert target.read_text() == "keep"


@pytest.mark.parametrize(("strict", "verdict"), [(True, "FAILED"), (False, "PASSED")])
def test_stale_entries_decide_the_verdict_as_the_tests_do(strict: bool, verdict: str) -> None:
    report = hostile_report()
    kept = tuple(d for d in report.decisions if d.verdict.value in ("accepted", "stale"))
    quiet = dataclasses.replace(report, decisions=kept, results=report.results[:1])
    page = HtmlReporter(today=TODAY, strict_baseline=strict).render(quiet)
    assert f'id="verdict">{verdict}<' in page
