"""GitHub Actions workflows and composite actions audited by zizmor offline, every file counted."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..core.finding import Coverage, Finding, Location, ScanResult, Skipped
from ..core.fingerprint import normalise_code
from ..core.redact import printable, redact, tail
from . import actions_canary, process, severities
from .actions_advice import advice_for
from .config_files import walk
from .interface import ScanContext
from .missing_tool import missing_tool_result
from .tools import find_tool

# Offline, no config file from the repository (it could switch audits off), inline
# `# zizmor: ignore[...]` comments reported rather than honoured (as bandit's `# nosec`).
_FLAGS = ("--offline", "--no-config", "--no-ignores", "--no-progress", "--no-exit-codes")
_COMPLETED = re.compile(r"\bcompleted (.+?)\s*$")
_MAX_SNIPPET_LINES = 8


class ActionsScanner:
    """zizmor over `.github/workflows/*.yml` and `action.yml` files."""

    name = "actions"

    def __init__(self, *, zizmor_path: str | Path | None = None, required: bool = False) -> None:
        self.zizmor_path = zizmor_path
        self.required = required

    def scan(self, context: ScanContext) -> ScanResult:
        started = time.monotonic()
        lookup = find_tool("zizmor", self.zizmor_path)
        if lookup.path is None:
            return missing_tool_result(self.name, lookup, required=self.required)
        tool = str(lookup.path)
        version = process.run([tool, "--version"], 30).stdout.strip().removeprefix("zizmor ")
        files = workflow_files(context)
        requested = tuple(context.relative(path) for path in files)
        if not files:
            return ScanResult(
                self.name,
                "zizmor",
                version,
                coverage=Coverage(unit="workflow files"),
                notes=("no workflows",),
                duration=time.monotonic() - started,
            )
        # The canary rides along in the same zizmor run; its findings leave before anything else.
        sample = actions_canary.plant(context.workdir / "actions-canary")
        data, completed, error = _run(tool, [*files, sample], context.timeout, strict=False)
        data, canary_failure = actions_canary.take(data, sample, _path_of)
        if error:
            return ScanResult(
                self.name,
                "zizmor",
                version,
                coverage=Coverage(requested=requested, unit="workflow files"),
                error=error,
                hint="run the command by hand to see zizmor's own error",
            )
        audited = {context.relative(path) for path in completed}
        skipped = []
        for path in files:
            shown = context.relative(path)
            if shown in audited:
                continue
            # zizmor only warns about a file it cannot load; ask again, strictly, for the reason.
            alone, _, problem = _run(tool, [path], context.timeout, strict=True)
            if problem:
                skipped.append(Skipped(shown, problem))
                continue
            audited.add(shown)
            if not any(_path_of(item) == str(path) for item in data):
                data += alone
        findings = tuple(
            finding for item in data if (finding := self._finding(context, item)) is not None
        )
        scanned = tuple(path for path in requested if path in audited)
        return ScanResult(
            self.name,
            "zizmor",
            version,
            findings,
            Coverage(requested, scanned, tuple(skipped), unit="workflow files"),
            error=canary_failure,
            hint="check the zizmor install: it missed a known flaw" if canary_failure else "",
            duration=time.monotonic() - started,
        )

    def _finding(self, context: ScanContext, item: Mapping[str, Any]) -> Finding | None:
        locations = [loc for loc in item.get("locations") or [] if isinstance(loc, dict)]
        if not locations:
            return None
        primary = next(
            (loc for loc in locations if loc.get("symbolic", {}).get("kind") == "Primary"),
            locations[0],
        )
        symbolic, concrete = primary.get("symbolic") or {}, primary.get("concrete") or {}
        where = concrete.get("location") or {}
        first = int((where.get("start_point") or {}).get("row", 0)) + 1
        last = int((where.get("end_point") or {}).get("row", first - 1)) + 1
        column = int((where.get("start_point") or {}).get("column", 0)) + 1
        source = Path(_key_path(symbolic))
        path = context.relative(source)
        rule = str(item.get("ident") or "unknown")
        determinations = item.get("determinations") or {}
        confidence = str(determinations.get("confidence") or "").lower()
        annotation = str(symbolic.get("annotation") or "")
        feature = str(concrete.get("feature") or "")
        url = str(item.get("url") or "")
        return Finding(
            scanner=self.name,
            rule=rule,
            title=printable(str(item.get("desc") or rule)),
            severity=severities.zizmor(str(determinations.get("severity") or ""), confidence),
            location=Location(path=path, line=first, column=column),
            identity=f"{path}\x1f{normalise_code(annotation)}\x1f{normalise_code(redact(feature))}",
            confidence=confidence,
            snippet=printable(redact(_lines(source, first, last))),
            remediation=advice_for(rule, url),
            references=(url,) if url else (),
            label=printable(f"{path}:{first}"),
            details=(("zizmor says", printable(annotation)),) if annotation else (),
        )


def workflow_files(context: ScanContext) -> list[Path]:
    """Workflows (`.github/workflows/*.yml`) and composite actions (`action.yml`), sorted."""
    tops: list[Path] = list(context.paths)
    if (context.root / ".github").is_dir():
        tops.append(context.root / ".github")  # the repository's own CI, wherever code lives
    found: dict[Path, Path] = {}
    for path in walk([top for top in tops if top.exists()], context.excludes):
        name = path.name.lower()
        in_workflows = path.parent.name == "workflows" and path.parent.parent.name == ".github"
        if (in_workflows and name.endswith((".yml", ".yaml"))) or name in (
            "action.yml",
            "action.yaml",
        ):
            found.setdefault(path.resolve(), path)
    return sorted(found.values(), key=lambda path: context.relative(path))


def _run(
    tool: str, files: Sequence[Path], timeout: float, *, strict: bool
) -> tuple[list[dict[str, Any]], list[str], str]:
    """zizmor's findings, the files it audited, and why the run failed ('' if it did not)."""
    argv = [tool, *_FLAGS, "--format", "json"]
    argv += ["--strict-collection"] if strict else []
    argv += ["--", *(str(path) for path in files)]
    outcome = process.run(argv, timeout, env=process.child_environment({"RUST_BACKTRACE": "0"}))
    command = " ".join(argv[:3]) + " ..."
    if outcome.start_error:
        return [], [], f"could not start zizmor ({command}): {outcome.start_error}"
    if outcome.timed_out:
        return [], [], f"zizmor timed out after {timeout:g}s and was killed ({command})"
    if outcome.returncode != 0:
        return [], [], _reason(outcome.stderr) or f"zizmor exited with {outcome.returncode}"
    try:
        data = json.loads(outcome.stdout or "[]")
    except ValueError as exc:
        return [], [], f"zizmor's output is not valid JSON: {exc}"
    if not isinstance(data, list):
        return [], [], "zizmor's output is not a JSON list of findings"
    completed = [
        m.group(1) for line in outcome.stderr.splitlines() if (m := _COMPLETED.search(line))
    ]
    return [item for item in data if isinstance(item, dict)], completed, ""


def _reason(stderr: str) -> str:
    """zizmor's own explanation: the `failed to load` line and its `Caused by` chain."""
    kept: list[str] = []
    for raw in stderr.splitlines():
        line = re.sub(r"^\d+:\s+", "", raw.strip())
        if (
            not line
            or line.startswith(("INFO", "WARN", "fatal:", "Caused by", "Location:", "at "))
            or "::" in line
            or "backtrace" in line.lower()
        ):
            continue
        if line not in kept:
            kept.append(line)
    return printable(redact("; ".join(kept[:8]))) if kept else tail(stderr)


def _key_path(symbolic: Mapping[str, Any]) -> str:
    key = symbolic.get("key") or {}
    local = key.get("Local") or {}
    return str(local.get("verbatim_path") or local.get("given_path") or "")


def _path_of(item: Mapping[str, Any]) -> str:
    for location in item.get("locations") or []:
        return _key_path(location.get("symbolic") or {})
    return ""


def _lines(path: Path, first: int, last: int) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[first - 1 : min(max(first, last), first + _MAX_SNIPPET_LINES - 1)])
