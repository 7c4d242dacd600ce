"""The HTML report's inline stylesheet and script (allowed by their sha256 in the page's CSP)."""

from __future__ import annotations

STYLE = """
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de;
  --panel: #f6f8fa; --bad: #c62828; --good: #2e7d32; --warn: #b26a00;
  --critical: #7b1fa2; --high: #c62828; --medium: #ef6c00; --low: #f9a825; --info: #607d8b;
  --o-failed: #c62828; --o-expired: #ad1457; --o-stale: #6d4c41; --o-baselined: #1565c0;
  --o-below-gate: #90a4ae; --o-refused: #d84315; --o-ignored: #b0bec5; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9da7b3; --line: #30363d; --panel: #161b22;
    --bad: #ff7b72; --good: #56d364; --warn: #e3b341; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 3rem; background: var(--bg);
  color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 1.5rem; margin: .5rem 0; } h2 { font-size: 1.15rem; margin: 1.8rem 0 .6rem; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; }
pre { white-space: pre-wrap; word-break: break-word; background: var(--panel); padding: .5rem;
  border: 1px solid var(--line); border-radius: 4px; margin: .3rem 0; }
.muted { color: var(--muted); }
.verdict { display: inline-block; padding: .25rem .8rem; border-radius: 4px; font-weight: 700;
  color: #fff; letter-spacing: .04em; }
.verdict.passed { background: #2e7d32; } .verdict.failed { background: #c62828; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem;
  border-bottom: 1px solid var(--line); }
th button { all: unset; cursor: pointer; font-weight: 700; }
th button::after { content: " \\2195"; color: var(--muted); font-weight: 400; }
th[aria-sort="ascending"] button::after { content: " \\2191"; }
th[aria-sort="descending"] button::after { content: " \\2193"; }
.status-complete { color: var(--good); font-weight: 600; }
.status-error, .status-incomplete { color: var(--bad); font-weight: 600; }
.sev, .out { display: inline-block; min-width: 4.5em; padding: 0 .35rem; border-radius: 3px;
  color: #fff; font-size: 12px; text-align: center; }
.sev-critical { background: var(--critical); } .sev-high { background: var(--high); }
.sev-medium { background: var(--medium); } .sev-low { background: var(--low); color: #000; }
.sev-info { background: var(--info); }
.out-failed { background: var(--o-failed); } .out-expired { background: var(--o-expired); }
.out-stale { background: var(--o-stale); } .out-baselined { background: var(--o-baselined); }
.out-below-gate { background: var(--o-below-gate); color: #000; }
.out-refused { background: var(--o-refused); }
.out-ignored { background: var(--o-ignored); color: #000; }
svg .sev-critical, svg .out-failed { fill: var(--o-failed); }
svg .out-expired { fill: var(--o-expired); } svg .out-baselined { fill: var(--o-baselined); }
svg .out-below-gate { fill: var(--o-below-gate); } svg .out-stale { fill: var(--o-stale); }
svg .out-refused { fill: var(--o-refused); } svg .out-ignored { fill: var(--o-ignored); }
svg text { fill: var(--fg); font-size: 12px; }
.legend span { margin-right: 1rem; white-space: nowrap; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .5rem 0; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
.filters input, .filters select { font: inherit; padding: .2rem .3rem; color: var(--fg);
  background: var(--bg); border: 1px solid var(--line); border-radius: 3px; }
details > summary { cursor: pointer; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem;
  margin: .3rem 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; word-break: break-word; }
.hidden { display: none; }
@media print {
  :root { --bg: #fff; --fg: #000; --muted: #444; --line: #999; --panel: #fff; }
  body { max-width: none; padding: 0; font-size: 11px; }
  .filters, th button::after { display: none; }
  tr { break-inside: avoid; }
  .sev, .out, .verdict { color: #000; border: 1px solid #000; background: none; }
}
"""

SCRIPT = """
"use strict";
(function () {
  var table = document.getElementById("findings");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var count = document.getElementById("shown");
  var fields = ["scanner", "severity", "outcome", "rule", "location", "search"];
  var inputs = {};
  fields.forEach(function (name) {
    inputs[name] = document.getElementById("filter-" + name);
    inputs[name].addEventListener("input", apply);
  });
  function matches(row) {
    var data = row.dataset;
    if (inputs.scanner.value && data.scanner !== inputs.scanner.value) { return false; }
    if (inputs.severity.value && data.severity !== inputs.severity.value) { return false; }
    if (inputs.outcome.value && data.outcome !== inputs.outcome.value) { return false; }
    var rule = inputs.rule.value.trim().toLowerCase();
    if (rule && data.rule.toLowerCase().indexOf(rule) < 0) { return false; }
    var where = inputs.location.value.trim().toLowerCase();
    if (where && data.location.toLowerCase().indexOf(where) < 0) { return false; }
    var text = inputs.search.value.trim().toLowerCase();
    return !text || row.textContent.toLowerCase().indexOf(text) >= 0;
  }
  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var visible = matches(row);
      row.classList.toggle("hidden", !visible);
      if (visible) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " findings shown";
  }
  Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-key]"), function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.dataset.key;
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.querySelectorAll("th"), function (other) {
        other.removeAttribute("aria-sort");
      });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = a.dataset["sort" + key], y = b.dataset["sort" + key];
        var order = x < y ? -1 : (x > y ? 1 : 0);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (item) {
      item.open = true;
    });
  });
  apply();
})();
"""
