"""SAST with bandit: run it as a child process, read its JSON, account for every file."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from ..core.finding import Coverage, Finding, Location, ScanResult, Skipped
from ..core.fingerprint import normalise_code
from ..core.redact import mask_string_literals, printable, redact, tail
from ..core.severity import Severity
from . import process
from .bandit_advice import advice_for
from .interface import ScanContext

# Rules whose flagged line carries the secret itself: never let it reach a title, a snippet
# or a fingerprint input.
SECRET_RULES = frozenset({"B105", "B106", "B107"})
# A known-bad sample scanned in the same run as the project: if bandit, as configured, reports
# none of it, the configuration (or the install) has made bandit blind, and a clean result would
# prove nothing. Its findings are removed before anyone sees them.
CANARY_NAME = "devsecops_canary_sample.py"
CANARY = """\
import hashlib, subprocess, yaml
PASSWORD = "canary-password"
assert PASSWORD
exec(PASSWORD)
eval(PASSWORD)
hashlib.md5(b"canary")
yaml.load(PASSWORD)
subprocess.call(PASSWORD, shell=True)
QUERY = "SELECT * FROM t WHERE a = '%s'" % PASSWORD
"""
CANARY_RULES = ("B101", "B102", "B105", "B307", "B324", "B506", "B602", "B608")
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
        data, canary_rules, canary_note = _take_canary(data)
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
                f"({', '.join(CANARY_RULES)}): as configured, it cannot find anything"
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
        excludes = [*context.excludes, *_virtualenvs(context.paths)]
        argv += ["--exclude", ",".join(f"*/{name}/*" for name in excludes)]
        config = self.config_file or _pyproject_with_bandit(context.root)
        if config is not None:
            argv += ["--configfile", str(config)]
        if (context.root / ".bandit").is_file():
            argv += ["--ini", str(context.root / ".bandit")]
        targets = [str(path.resolve()) for path in context.paths]
        targets += [str(script) for script in _python_scripts(context.paths, excludes)]
        canary = context.workdir / "canary" / CANARY_NAME
        canary.parent.mkdir(parents=True, exist_ok=True)
        canary.write_text(CANARY, encoding="utf-8")
        targets.append(str(canary))
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
        severity = _severity(str(item["issue_severity"]), confidence)
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
            snippet=printable(redact(code)),
            remediation=advice_for(rule, str(item.get("test_name", ""))),
            references=(more_info,) if more_info else (),
            label=f"{printable(path)}:{line}",
            details=tuple(details),
        )


def _take_canary(data: dict[str, Any]) -> tuple[dict[str, Any], set[str], str]:
    """The report without the canary, the canary rules bandit reported, and a note on the rest."""

    def is_canary(name: object) -> bool:
        return str(name).endswith("/" + CANARY_NAME)

    found = {str(r["test_id"]) for r in data["results"] if is_canary(r["filename"])}
    cleaned = {
        "results": [r for r in data["results"] if not is_canary(r["filename"])],
        "errors": [e for e in data["errors"] if not is_canary(e["filename"])],
        "metrics": {k: v for k, v in data["metrics"].items() if not is_canary(k)},
    }
    silent = [rule for rule in CANARY_RULES if rule not in found]
    note = (
        f"bandit, as configured, does not report: {', '.join(silent)}" if found and silent else ""
    )
    return cleaned, found & set(CANARY_RULES), note


def _severity(level: str, confidence: str) -> Severity:
    """bandit's severity on our scale, one step lower when bandit itself is unsure."""
    try:
        severity = Severity.parse(level)
    except ValueError:
        severity = Severity.INFO
    return severity.lowered() if confidence == "low" else severity


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


def _pyproject_with_bandit(root: Path) -> Path | None:
    pyproject = root / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    return pyproject if re.search(r"^\[tool\.bandit[.\]]", text, re.MULTILINE) else None


def _virtualenvs(paths: tuple[Path, ...]) -> list[str]:
    """Folders directly under the scanned paths that are virtualenvs, whatever their name."""
    found = []
    for base in paths:
        if base.is_dir():
            found += [child.name for child in base.iterdir() if (child / "pyvenv.cfg").is_file()]
    return sorted(set(found))


def _python_scripts(paths: tuple[Path, ...], excludes: list[str]) -> Iterator[Path]:
    """Extension-less files with a python shebang, which bandit's own walk would skip."""
    skip = set(excludes)
    for base in paths:
        if not base.is_dir():
            continue
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(
                name for name in dirs if name not in skip and not name.endswith(".egg-info")
            )
            for name in sorted(files):
                if "." not in name and _has_python_shebang(Path(folder, name)):
                    yield Path(folder, name).resolve()


def _has_python_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            first = handle.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first
