"""A hand-built report with hostile text in every field, for the HTML report's tests."""

from __future__ import annotations

import datetime
from pathlib import Path

from pytest_devsecops.core.baseline import Entry
from pytest_devsecops.core.finding import Coverage, Finding, Location, ScanResult
from pytest_devsecops.core.policy import Decision, Verdict
from pytest_devsecops.core.severity import Severity
from pytest_devsecops.reporters.interface import Report

TODAY = datetime.date(2026, 12, 2)
HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
HOSTILE_SNIPPET = "</textarea></pre><script>window.pwned = 1</script>"


def _finding(
    rule: str, severity: Severity, title: str, path: str, line: int, **extra: object
) -> Finding:
    return Finding(
        scanner=str(extra.pop("scanner", "bandit")),
        rule=rule,
        title=title,
        severity=severity,
        location=Location(path=path, line=line),
        identity=f"{rule}{path}",
        fingerprint=f"fp-{rule}-{line}",
        **extra,  # type: ignore[arg-type]
    )


def hostile_report() -> Report:
    findings = [
        _finding("B602", Severity.HIGH, HOSTILE_TITLE, "app/run.py", 5, snippet=HOSTILE_SNIPPET),
        _finding(
            "B303",
            Severity.MEDIUM,
            "Use of insecure MD5 hash function.",
            "app/run.py",
            9,
            snippet='password = "hunter2secret"',
            remediation="Use hashlib.sha256.",
            references=("https://cwe.mitre.org/data/definitions/327.html", "javascript:alert(2)"),
            cwe=327,
        ),
        _finding("B404", Severity.LOW, "Consider subprocess </script> security", "app/run.py", 1),
        _finding(
            "PYSEC-2019-217",
            Severity.CRITICAL,
            "Jinja2 sandbox escape",
            "requirements.txt",
            2,
            scanner="pip-audit",
        ),
    ]
    accepted = Entry(
        fingerprint=findings[1].fingerprint,
        scanner="bandit",
        rule="B303",
        path="app/run.py",
        reason="legacy checksum, not security relevant",
        owner="team-<b>payments</b>",
        expires=TODAY + datetime.timedelta(days=5),
    )
    stale = Entry(
        fingerprint="fp-stale", scanner="bandit", rule="B105", path="old.py", title="gone"
    )
    decisions = (
        Decision(Verdict.NEW, "bandit", findings[0]),
        Decision(Verdict.ACCEPTED, "bandit", findings[1], accepted),
        Decision(Verdict.BELOW_GATE, "bandit", findings[2]),
        Decision(Verdict.STALE, "bandit", None, stale),
        Decision(Verdict.NEW, "pip-audit", findings[3]),
    )
    results = (
        ScanResult("bandit", "bandit", "1.8.6", findings[:3], Coverage(("app",), ("app/run.py",))),
        ScanResult("pip-audit", "pip-audit", "2.10", findings[3:], Coverage(unit="dependencies")),
        ScanResult(
            "dast",
            "built-in engine",
            "0.1",
            (),
            Coverage(
                ("http://127.0.0.1:1/",),
                ("http://127.0.0.1:1/", "http://127.0.0.1:1/<x>"),
                unit="pages",
            ),
        ),
    )
    return Report(
        Path("/tmp/project"), ".devsecops-baseline.yml", "medium", "0.1.0", results, decisions
    )
