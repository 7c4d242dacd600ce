"""SAST with bandit: run it as a child process, read its JSON, account for every file."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from ..core.finding import Coverage, Finding, Location, ScanResult, Skipped
from ..core.fingerprint import normalise_code
from ..core.redact import mask_string_literals, printable, redact, tail
from . import bandit_canary, process, severities
from .bandit_advice import advice_for
from .bandit_files import pyproject_with_bandit, python_scripts, virtualenvs
from .interface import ScanContext

# Rules whose flagged line carries the secret itself: never let it reach a title, a snippet
# or a fingerprint input.
SECRET_RULES = frozenset({"B105", "B106", "B107"})

_NOSEC = re.compile(r"#\s*nosec\b", re.IGNORECASE)


class BanditScanner:
    """bandit over the project's Python sources, honouring the project's bandit config."""

    name = "bandit"

    def __init__(self, *, honour_nosec: bool = False, config_file: Path | None = None) -> None:
        self.honour_nosec = honour_nosec
        self.config_file = config_file

    def scan(self, context: ScanContext) -> ScanResult:
        started = time.monotonic()
        try:
            version = metadata.version("bandit")
        except metadata.PackageNotFoundError:
            return ScanResult(
                self.name,
                "bandit",
                "",
                error="bandit is not installed in this environment",
                hint="pip install bandit (it is a dependency of pytest-devsecops)",
            )
        report = context.workdir / "bandit.json"
        requested = tuple(context.relative(path) for path in context.paths)
        missing = tuple(
            Skipped(context.relative(path), "does not exist")
            for path in context.paths
            if not path.exists()
        )
        present = tuple(path for path in context.paths if path.exists())
        if not present:
            return ScanResult(
                self.name,
                "bandit",
                version,
                coverage=Coverage(requested=requested, skipped=missing),
                error="none of the paths to scan exists",
                hint="set devsecops_paths to folders of this project",
            )
        argv = self._argv(dataclasses.replace(context, paths=present), report)
        outcome = process.run(argv, context.timeout)
        failure = _failure(outcome, report, context.timeout)
        if failure:
            return ScanResult(
                self.name,
                "bandit",
                version,
                coverage=Coverage(requested=requested),
                error=failure,
                hint="run the command above by hand to see bandit's own error",
                duration=time.monotonic() - started,
            )
        data = json.loads(report.read_text(encoding="utf-8"))
        data, canary_rules, canary_note = bandit_canary.take(data)
        skipped = missing + tuple(
            Skipped(context.relative(error["filename"]), printable(str(error["reason"])))
            for error in data["errors"]
        )
        unscanned = {skip.target for skip in skipped}
        scanned = sorted(
            {context.relative(name) for name in data["metrics"] if name != "_totals"} - unscanned
        )
        findings = tuple(self._finding(context, item) for item in data["results"])
        coverage = Coverage(requested=requested, scanned=tuple(scanned), skipped=skipped)
        error, hint = "", ""
        if not scanned and not skipped:
            error, hint = (
                "bandit found no Python files to scan",
                "check devsecops_paths and the bandit exclude settings",
            )
        elif not canary_rules:
            error = (
                "bandit reported none of the findings in its canary sample "
                f"({', '.join(bandit_canary.CANARY_RULES)}): as configured, it cannot find anything"
            )
            hint = "check the bandit configuration (skips, tests, profiles) and the bandit install"
        return ScanResult(
            self.name,
            "bandit",
            version,
            findings,
            coverage,
            error=error,
            hint=hint,
            notes=(canary_note,) if canary_note else (),
            duration=time.monotonic() - started,
        )

    def _argv(self, context: ScanContext, report: Path) -> list[str]:
        argv = [sys.executable, "-m", "bandit", "--recursive", "--format", "json"]
        argv += ["--output", str(report), "--quiet"]
        if not self.honour_nosec:
            argv.append("--ignore-nosec")
        excludes = [*context.excludes, *virtualenvs(context.paths)]
        argv += ["--exclude", ",".join(f"*/{name}/*" for name in excludes)]
        config = self.config_file or pyproject_with_bandit(context.root)
        if config is not None:
            argv += ["--configfile", str(config)]
        if (context.root / ".bandit").is_file():
            argv += ["--ini", str(context.root / ".bandit")]
        targets = [str(path.resolve()) for path in context.paths]
        targets += [str(script) for script in python_scripts(context.paths, excludes)]
        targets.append(str(bandit_canary.plant(context.workdir / "canary")))
        # `--` ends option parsing: no path in the repository can be read as a bandit flag.
        return [*argv, "--", *targets]

    def _finding(self, context: ScanContext, item: Mapping[str, Any]) -> Finding:
        rule = str(item["test_id"])
        path = context.relative(item["filename"])
        line = int(item["line_number"])
        code = _source_lines(Path(item["filename"]), item.get("line_range") or [line])
        if rule in SECRET_RULES:
            code = mask_string_literals(code)
        title = str(item["issue_text"])
        title = mask_string_literals(title) if rule in SECRET_RULES else title
        confidence = str(item["issue_confidence"]).lower()
        severity = severities.bandit(str(item["issue_severity"]), confidence)
        details = []
        if not self.honour_nosec and _NOSEC.search(code):
            details.append(
                (
                    "inline suppression",
                    "this line carries `# nosec`, which pytest-devsecops does not honour; "
                    "accept the finding in the baseline with a reason instead",
                )
            )
        cwe = item.get("issue_cwe") or {}
        more_info = str(item.get("more_info") or "")
        return Finding(
            scanner=self.name,
            rule=rule,
            title=printable(redact(title)),
            severity=severity,
            location=Location(path=path, line=line, column=int(item.get("col_offset", 0)) + 1),
            identity=f"{path}\x1f{normalise_code(code)}",
            confidence=confidence,
            cwe=int(cwe["id"]) if cwe.get("id") else None,
            snippet=printable(redact(code), multiline=True),
            remediation=advice_for(rule, str(item.get("test_name", ""))),
            references=(more_info,) if more_info else (),
            label=f"{printable(path)}:{line}",
            details=tuple(details),
        )


def _failure(outcome: process.ProcessOutcome, report: Path, timeout: float) -> str:
    """Why this bandit run cannot be trusted, or '' when its report is complete and fresh."""
    command = " ".join(outcome.argv[:8]) + " ..."
    if outcome.start_error:
        return f"could not start bandit ({command}): {outcome.start_error}"
    if outcome.timed_out:
        return f"bandit timed out after {timeout:g}s and was killed ({command})"
    # Exit 1 means "issues found"; anything else is a crash, whatever the report says.
    if outcome.returncode not in (0, 1):
        return (
            f"bandit exited with status {outcome.returncode} ({command}):\n{tail(outcome.stderr)}"
        )
    if not report.is_file():
        return f"bandit wrote no report ({command}):\n{tail(outcome.stderr)}"
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        return f"bandit's report is not valid JSON: {exc}"
    if not isinstance(data, dict) or not all(
        isinstance(data.get(key), want)
        for key, want in (("results", list), ("errors", list), ("metrics", dict))
    ):
        return "bandit's report does not have the expected results/errors/metrics fields"
    return ""


def _source_lines(path: Path, line_range: list[int]) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    first, last = min(line_range), max(line_range)
    return "\n".join(lines[first - 1 : last])
