"""A self-contained HTML report: verdict, scanners, a chart, and a filterable findings table.

Everything that came from a finding is escaped by `_e` before it reaches the page; the only
script and stylesheet are inline and allowed by their sha256 in the CSP the page declares, so
the page makes no request and a hostile title cannot run (it is text, and inline handlers are
refused by the CSP anyway).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
from collections import Counter

from ..core.finding import Finding, ScanResult
from ..core.policy import Decision, Verdict
from ..core.redact import printable, redact
from .html_assets import SCRIPT, STYLE
from .interface import OUTCOME_WORDS, Report

EXPIRING_DAYS = 14
_SEVERITIES = ("critical", "high", "medium", "low", "info")
_OUTCOMES = ("failed", "expired", "refused", "stale", "baselined", "below-gate", "ignored")
_RANK = {name: str(index) for index, name in enumerate(_SEVERITIES)}


def _e(value: object) -> str:
    """Escape for HTML text and quoted attributes; secrets masked, control characters shown."""
    return html.escape(printable(redact(str(value))), quote=True)


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def content_security_policy() -> str:
    """Nothing may load; only our own inline style and script (by hash) may apply or run."""
    return (
        "default-src 'none'; "
        f"style-src {_csp_hash(STYLE)}; script-src {_csp_hash(SCRIPT)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


class HtmlReporter:
    """Renders `Report` as one HTML page that needs no network and works from file://."""

    def __init__(self, today: datetime.date | None = None, *, strict_baseline: bool = True) -> None:
        self.today = today or datetime.date.today()
        self.strict_baseline = strict_baseline  # false: stale entries are shown but do not fail

    def render(self, report: Report) -> str:
        findings = [d for d in report.decisions if d.finding is not None]
        stale = [d for d in report.decisions if d.finding is None]
        fails = any(
            d.verdict.fails and (d.finding is not None or self.strict_baseline)
            for d in report.decisions
        ) or any(not result.complete for result in report.results)
        verdict = "failed" if fails else "passed"
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy()}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="referrer" content="no-referrer">',
            f"<title>Security report: {_e(report.root.name)}</title>",
            f"<style>{STYLE}</style></head><body>",
            f"<h1>Security report: {_e(report.root.name)}</h1>",
            f'<p><span class="verdict {verdict}" id="verdict">{verdict.upper()}</span> '
            f"gate: findings at or above <strong>{_e(report.fail_on)}</strong> fail · "
            f"baseline <code>{_e(report.baseline)}</code> · pytest-devsecops "
            f"{_e(report.plugin_version)} · {self.today.isoformat()}</p>",
            _scanners(report),
            _chart(findings),
            _table(findings),
            _attention(stale, findings, self.today),
            _pages(report.results),
            f"<script>{SCRIPT}</script></body></html>",
        ]
        return "\n".join(part for part in parts if part) + "\n"


def _status(result: ScanResult) -> str:
    return "error" if result.error else ("complete" if result.complete else "incomplete")


def _scanners(report: Report) -> str:
    rows = []
    for result in report.results:
        status = _status(result)
        coverage = result.coverage
        # `requested` names what the scanner was pointed at (folders, a URL), not a count of units.
        scanned = f"{len(coverage.scanned)} {coverage.unit} scanned"
        if coverage.requested:
            asked = ", ".join(coverage.requested[:5])
            more = f" and {len(coverage.requested) - 5} more" if len(coverage.requested) > 5 else ""
            scanned += f" (asked: {asked}{more})"
        problems = [f"<div>{_e(result.error)}</div>" if result.error else ""]
        problems += [f"<div>{_e(skip.target)}: {_e(skip.reason)}</div>" for skip in coverage.gaps]
        if result.hint:
            problems.append(f'<div class="muted">{_e(result.hint)}</div>')
        notes = "".join(f'<div class="muted">{_e(note)}</div>' for note in result.notes)
        rows.append(
            f"<tr><td>{_e(result.scanner)}</td>"
            f'<td class="status-{status}">{status}</td>'
            f"<td>{_e(scanned)}{''.join(problems)}{notes}</td>"
            f"<td>{_e(result.tool)} {_e(result.version)}</td>"
            f"<td>{result.duration:.1f} s</td></tr>"
        )
    return (
        '<h2>Scanners</h2><table id="scanners"><thead><tr><th>Scanner</th><th>Status</th>'
        "<th>Coverage</th><th>Tool</th><th>Duration</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _chart(findings: list[Decision]) -> str:
    """One horizontal bar per severity, split by outcome; an SVG with no script and no style."""
    counts: Counter[tuple[str, str]] = Counter(
        (d.found.severity.value, OUTCOME_WORDS[d.verdict]) for d in findings
    )
    totals = Counter(severity for severity, _ in counts.elements())
    widest = max(totals.values(), default=0) or 1
    width, left, bar = 560, 80, 20
    shapes = []
    for row, severity in enumerate(_SEVERITIES):
        y = row * (bar + 6)
        shapes.append(f'<text x="0" y="{y + 15}">{severity}</text>')
        x = float(left)
        for outcome in _OUTCOMES:
            count = counts[(severity, outcome)]
            if not count:
                continue
            span = (width - left - 40) * count / widest
            shapes.append(
                f'<rect class="out-{outcome}" x="{x:.1f}" y="{y}" width="{span:.1f}" '
                f'height="{bar}"><title>{count} {severity} {outcome}</title></rect>'
            )
            x += span
        shapes.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{totals[severity]}</text>')
    legend = "".join(
        f'<span><span class="out out-{outcome}">{outcome}</span></span>' for outcome in _OUTCOMES
    )
    height = len(_SEVERITIES) * (bar + 6)
    return (
        f"<h2>Findings by severity and outcome</h2>"
        f'<svg id="chart" role="img" aria-label="findings by severity and outcome" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        + "".join(shapes)
        + f'</svg><p class="legend">{legend}</p>'
    )


def _options(values: list[str]) -> str:
    return '<option value="">all</option>' + "".join(
        f'<option value="{_e(value)}">{_e(value)}</option>' for value in values
    )


def _table(findings: list[Decision]) -> str:
    scanners = sorted({d.scanner for d in findings})
    filters = (
        '<div class="filters">'
        f'<label>Scanner<select id="filter-scanner">{_options(scanners)}</select></label>'
        f'<label>Severity<select id="filter-severity">{_options(list(_SEVERITIES))}</select>'
        "</label>"
        f'<label>Outcome<select id="filter-outcome">{_options(list(_OUTCOMES))}</select></label>'
        '<label>Rule<input id="filter-rule" type="search"></label>'
        '<label>Location<input id="filter-location" type="search"></label>'
        '<label>Text<input id="filter-search" type="search"></label>'
        '<span id="shown" class="muted"></span></div>'
    )
    ordered = sorted(
        findings,
        key=lambda d: (_RANK[d.found.severity.value], d.scanner, d.found.fingerprint),
    )
    head = "".join(
        f'<th data-key="{key}"><button type="button">{label}</button></th>'
        for key, label in (
            ("Severity", "Severity"),
            ("Outcome", "Outcome"),
            ("Scanner", "Scanner"),
            ("Rule", "Rule"),
            ("Location", "Location"),
        )
    )
    return (
        f"<h2>Findings ({len(findings)})</h2>{filters}"
        f'<table id="findings"><thead><tr>{head}<th>Finding</th></tr></thead><tbody>'
        + "".join(_row(d) for d in ordered)
        + "</tbody></table>"
    )


def _row(decision: Decision) -> str:
    finding = decision.found
    severity, outcome = finding.severity.value, OUTCOME_WORDS[decision.verdict]
    where = finding.item_label
    position = f"{finding.location.path or finding.location.url}\x1f{finding.location.line:09d}"
    return (
        f'<tr data-scanner="{_e(finding.scanner)}" data-severity="{severity}" '
        f'data-outcome="{outcome}" data-rule="{_e(finding.rule)}" data-location="{_e(where)}" '
        f'data-sort-severity="{_RANK[severity]}" data-sort-outcome="{_OUTCOMES.index(outcome)}" '
        f'data-sort-scanner="{_e(finding.scanner)}" data-sort-rule="{_e(finding.rule)}" '
        f'data-sort-location="{_e(position)}">'
        f'<td><span class="sev sev-{severity}">{severity}</span></td>'
        f'<td><span class="out out-{outcome}">{outcome}</span></td>'
        f'<td>{_e(finding.scanner)}</td><td class="mono">{_e(finding.rule)}</td>'
        f'<td class="mono">{_e(where)}</td>'
        f"<td><details><summary>{_e(finding.title)}</summary>{_details(decision)}</details></td>"
        "</tr>"
    )


def _details(decision: Decision) -> str:
    finding: Finding = decision.found
    facts: list[tuple[str, str]] = []
    if finding.cwe:
        facts.append(("CWE", f"CWE-{finding.cwe}"))
    if finding.confidence:
        facts.append(("confidence", finding.confidence))
    facts.extend(finding.details)
    if finding.remediation:
        facts.append(("remediation", finding.remediation))
    entry = decision.entry
    if entry is not None:
        facts.append(("baseline reason", entry.reason or "(none given)"))
        facts.append(("owner", entry.owner or "(none)"))
        facts.append(("expires", entry.expires.isoformat() if entry.expires else "never"))
    facts.append(("fingerprint", finding.fingerprint))
    listed = "".join(f"<dt>{_e(key)}</dt><dd>{_e(value)}</dd>" for key, value in facts)
    references = "".join(
        f'<dd><a href="{_e(ref)}" rel="noreferrer noopener">{_e(ref)}</a></dd>'
        if ref.startswith(("https://", "http://"))
        else f"<dd>{_e(ref)}</dd>"
        for ref in finding.references
    )
    if references:
        listed += f"<dt>references</dt>{references}"
    snippet = f"<pre>{_e(finding.snippet)}</pre>" if finding.snippet else ""
    return f'{snippet}<dl class="facts">{listed}</dl>'


def _attention(stale: list[Decision], findings: list[Decision], today: datetime.date) -> str:
    horizon = today + datetime.timedelta(days=EXPIRING_DAYS)
    expiring = [
        d
        for d in findings
        if d.verdict is Verdict.ACCEPTED
        and d.entry is not None
        and d.entry.expires is not None
        and d.entry.expires <= horizon
    ]
    rows = [
        f'<tr><td>stale</td><td>{_e(d.scanner)}</td><td class="mono">{_e(d.accepted_by.rule)}'
        f'</td><td class="mono">{_e(d.accepted_by.path)}</td><td>{_e(d.accepted_by.title)}</td>'
        f'<td class="mono">{_e(d.accepted_by.fingerprint)}</td></tr>'
        for d in stale
    ]
    rows += [
        f"<tr><td>expires {_e(d.accepted_by.expires)}</td><td>{_e(d.scanner)}</td>"
        f'<td class="mono">{_e(d.found.rule)}</td><td class="mono">{_e(d.found.item_label)}</td>'
        f"<td>{_e(d.accepted_by.reason)} (owner: {_e(d.accepted_by.owner)})</td>"
        f'<td class="mono">{_e(d.found.fingerprint)}</td></tr>'
        for d in sorted(expiring, key=lambda d: str(d.accepted_by.expires))
    ]
    if not rows:
        return (
            '<h2>Baseline attention</h2><p id="attention" class="muted">No stale entries and '
            f"no acceptance expiring within {EXPIRING_DAYS} days.</p>"
        )
    return (
        f'<h2>Baseline attention</h2><p class="muted">Stale entries and acceptances expiring '
        f'within {EXPIRING_DAYS} days.</p><table id="attention"><thead><tr><th>What</th>'
        "<th>Scanner</th><th>Rule</th><th>Where</th><th>Reason / title</th><th>Fingerprint</th>"
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _pages(results: tuple[ScanResult, ...]) -> str:
    crawled = [r for r in results if r.coverage.unit == "pages"]
    if not crawled:
        return ""
    blocks = []
    for result in crawled:
        pages = "".join(f'<li class="mono">{_e(page)}</li>' for page in result.coverage.scanned)
        blocks.append(
            f"<details open><summary>{_e(result.scanner)}: {len(result.coverage.scanned)} "
            f"pages</summary><ul>{pages}</ul></details>"
        )
    return '<h2>DAST pages crawled</h2><div id="pages">' + "".join(blocks) + "</div>"
