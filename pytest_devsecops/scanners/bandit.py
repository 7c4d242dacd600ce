"""SAST with bandit: run it as a child process, read its JSON, account for every file."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import sys
import threading
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from ..core.finding import Coverage, Finding, Location, ScanResult, Skipped
from ..core.fingerprint import normalise_code
from ..core.redact import mask_string_literals, printable, redact
from ..settings import DEFAULT_EXCLUDES
from . import bandit_canary, bandit_config, bandit_files, bandit_run, severities
from .bandit_advice import advice_for
from .bandit_run import SECRET_RULES
from .cache import FileCache
from .interface import ScanContext

_NOSEC = re.compile(r"#\s*nosec\b", re.IGNORECASE)


@dataclasses.dataclass
class _Read:
    """bandit's per-file reports turned into findings, complete files and per-file errors."""

    findings: list[Finding] = dataclasses.field(default_factory=list)
    complete: list[str] = dataclasses.field(default_factory=list)
    errors: list[Skipped] = dataclasses.field(default_factory=list)


class BanditScanner:
    """bandit over the project's Python sources, honouring the project's bandit config."""

    name = "bandit"
    reports_file_lines = True  # findings sit on lines of files: --devsecops-since applies

    def __init__(
        self,
        *,
        honour_nosec: bool = False,
        config_file: Path | None = None,
        allow_skips: tuple[str, ...] = (),
    ) -> None:
        self.honour_nosec = honour_nosec
        self.config_file = config_file
        self.allow_skips = allow_skips

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
        result = self._scan(context, version, started)
        return dataclasses.replace(result, duration=time.monotonic() - started)

    def _scan(self, context: ScanContext, version: str, started: float) -> ScanResult:
        requested = tuple(context.relative(path) for path in context.paths)
        missing = tuple(
            Skipped(context.relative(path), "does not exist")
            for path in context.paths
            if not path.exists()
        )
        try:
            settings = bandit_config.read(context.root, self.config_file, self.allow_skips)
        except bandit_config.BanditConfigError as exc:
            return ScanResult(
                self.name,
                "bandit",
                version,
                coverage=Coverage(requested=requested, skipped=missing),
                error=str(exc),
                hint="fix the bandit configuration (bandit itself would refuse it)",
            )
        # The canary needs no project file: it runs while the files are found and hashed.
        prefix = self._prefix(context, settings)
        canary = bandit_run.Canary(
            prefix,
            bandit_canary.plant(context.workdir / "canary"),
            context.workdir,
            context.timeout,
        )
        existing = [path for path in context.paths if path.exists()]
        walked = {  # everything the walk's outcome depends on, besides the folders themselves
            "root": str(context.root.resolve()),
            "paths": [str(path.resolve()) for path in existing],
            "excludes": sorted(context.excludes),
            "default excludes": sorted(DEFAULT_EXCLUDES),
            "config excludes": list(settings.path_excludes),
            "allowed": sorted(settings.allow),
        }
        memo = FileCache.open(context.cache_dir, "bandit-walk", walked, read=context.cache_read)
        found = bandit_files.discover(
            context.root,
            existing,
            context.excludes,
            DEFAULT_EXCLUDES,
            settings.removed_by,
            memo,
        )
        coverage_skips = missing + found.skipped + settings.allowed_rule_skips()
        if not found.files and not any(skip for skip in coverage_skips if not skip.deliberate):
            return ScanResult(
                self.name,
                "bandit",
                version,
                coverage=Coverage(requested=requested, skipped=coverage_skips),
                error="bandit found no Python files to scan",
                hint="check devsecops_paths, devsecops_exclude and the bandit exclude settings",
            )
        key = {
            "tool": f"bandit {version}",
            "python": list(sys.version_info[:2]),
            "config": settings.fingerprint,
            "nosec": self.honour_nosec,
        }
        cache = FileCache.open(context.cache_dir, self.name, key, read=context.cache_read)
        scanned = bandit_run.scan_files(
            prefix, found.files, cache, context.workdir, context.jobs, context.timeout
        )
        # Findings are built while the canary's bandit is still starting up in its own process.
        read = self._read_reports(found, scanned)
        ready = time.monotonic()

        @functools.cache  # once, whoever asks first: it appends to failures and saves the cache
        def verdict() -> ScanResult:
            canary.wait()
            if canary.failure:
                scanned.failures.append(canary.failure)
            result = self._result(
                version, requested, found, settings, scanned, read, coverage_skips, cache, canary
            )
            # The scan took until the canary ended, not until someone asked for its verdict.
            ended = max(canary.ended or time.monotonic(), ready)
            return dataclasses.replace(result, duration=ended - started)

        lock = threading.Lock()

        def checked() -> ScanResult:
            with lock:
                return verdict()

        if canary.done or scanned.failures:
            return checked()
        # The findings are final (on a warm run every file came from the cache) and only the
        # canary is left. The result goes on without its verdict, which the status item waits
        # for: the canary's start-up overlaps pytest building and running the finding items.
        provisional = self._result(
            version, requested, found, settings, scanned, read, coverage_skips, cache, None
        )
        # The verdict keeps these alive until the status item asks: only what it reads stays
        # (a warm run's 883 cached reports would slow every garbage collection until then).
        scanned.reports.clear()
        if cache.unchanged(rel for rel, _path in found.files):
            cache.release()
        return dataclasses.replace(provisional, pending=checked)

    def _read_reports(self, found: bandit_files.FileSet, scanned: bandit_run.Scanned) -> _Read:
        paths = dict(found.files)
        _lines_of.cache_clear()  # files change between runs of one process (pytester)
        read = _Read()
        for rel in sorted(scanned.reports):
            report = scanned.reports[rel]
            if report["errors"]:
                read.errors += [Skipped(rel, printable(reason)) for reason in report["errors"]]
            else:
                read.complete.append(rel)
            for item in report["results"]:
                read.findings.append(self._finding(rel, paths[rel], item))
        return read

    def _result(
        self,
        version: str,
        requested: tuple[str, ...],
        found: bandit_files.FileSet,
        settings: bandit_config.BanditSettings,
        scanned: bandit_run.Scanned,
        read: _Read,
        skips: tuple[Skipped, ...],
        cache: FileCache,
        canary: bandit_run.Canary | None,
    ) -> ScanResult:
        """The result; with no canary (its verdict still to come) nothing is saved yet."""
        problems = list(settings.refused) + scanned.failures
        if settings.unallowed_rules:
            listed = ", ".join(f"{rule} ({where})" for rule, where in settings.unallowed_rules)
            problems.append(f"the bandit configuration removes rules: {listed}")
        hint = ""
        silent: list[str] = []
        if not scanned.failures and canary is not None:
            allowed = settings.allow | {rule for rule, _where in settings.removed_rules}
            silent = bandit_canary.silent_rules(canary.found, frozenset(allowed))
            if silent:
                problems.append(
                    "bandit did not report these rules on its canary sample: "
                    f"{', '.join(silent)}; as installed and configured it cannot find them"
                )
                hint = "check the bandit configuration (skips, tests, profiles) and the install"
        if settings.unallowed_rules:
            rules = " ".join(rule for rule, _where in settings.unallowed_rules)
            hint = (
                "remove those skips from the bandit configuration, or accept them explicitly: "
                f"devsecops_bandit_allow_skips = {rules}"
            )
        elif scanned.failures:
            hint = "run the command above by hand to see bandit's own error"
        if not scanned.failures and not silent and canary is not None:
            # Only results of a bandit that proved itself on the canary are kept for reuse.
            cache.save(rel for rel, _path in found.files)
        notes = list(found.notes) + list(settings.notes) + cache.notes
        if cache.enabled:
            notes.append(f"{cache.hits} of {len(found.files)} files from the result cache")
        return ScanResult(
            self.name,
            "bandit",
            version,
            tuple(read.findings),
            Coverage(
                requested=requested,
                scanned=tuple(read.complete),
                skipped=skips + tuple(scanned.unreported) + tuple(read.errors),
            ),
            error="\n".join(problems),
            hint=hint,
            notes=tuple(notes),
        )

    def _prefix(self, context: ScanContext, settings: bandit_config.BanditSettings) -> list[str]:
        argv = [sys.executable, "-m", "bandit", "--format", "json", "--quiet"]
        if not self.honour_nosec:
            argv.append("--ignore-nosec")
        config = {k: v for k, v in settings.config.items() if k not in ("tests", "skips")}
        if config:
            # JSON is YAML: bandit reads our cleaned copy of the project's settings.
            path = context.workdir / "bandit-config.yaml"
            path.write_text(json.dumps(config, default=str), encoding="utf-8")
            argv.append(f"--configfile={path}")
        if settings.profile:
            argv.append(f"--profile={settings.profile}")
        if settings.tests:
            argv.append(f"--tests={','.join(settings.tests)}")
        if settings.skips:
            argv.append(f"--skip={','.join(settings.skips)}")
        return argv

    def _finding(self, rel: str, source: Path, item: Mapping[str, Any]) -> Finding:
        rule = str(item["test_id"])
        path = rel
        line = int(item["line_number"])
        code = _source_lines(source, item.get("line_range") or [line])
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


def _source_lines(path: Path, line_range: list[int]) -> str:
    lines = _lines_of(path)
    first, last = min(line_range), max(line_range)
    return "\n".join(lines[first - 1 : last])


@functools.lru_cache(maxsize=16)
def _lines_of(path: Path) -> list[str]:
    """A file's lines; findings come grouped by file, so a small cache reads each file once."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
