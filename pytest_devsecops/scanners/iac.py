"""Infrastructure as code with `trivy config`: offline checks, every config file accounted for."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.finding import Coverage, Finding, Location, ScanResult, Skipped
from ..core.fingerprint import normalise_code
from ..core.redact import printable, redact
from . import severities, trivy, trivy_log
from .config_files import ConfigFile, find_config_files
from .iac_canary import IacCanary
from .interface import ScanContext
from .missing_tool import missing_tool_result
from .rego import RegoChecks, load_rego_checks
from .tools import find_tool

_MAX_SNIPPET_LINES = 12
# Why trivy may pass over a file that looks like configuration to us.
_RECOGNISED = {
    "dockerfile": "trivy only reads Dockerfile, Containerfile, Dockerfile.* and *.Dockerfile",
    "kubernetes": "trivy did not take it for a Kubernetes resource",
}
_NOT_CHECKED = {
    "compose": "trivy has no docker-compose checks; this file is not checked",
}


class IacScanner:
    """trivy's embedded (and the project's own Rego) checks over Dockerfiles, Terraform, k8s, ..."""

    name = "iac"

    def __init__(
        self,
        *,
        trivy_path: str | Path | None = None,
        required: bool = False,
        rego: Path | None = None,
    ) -> None:
        self.trivy_path = trivy_path
        self.required = required
        self.rego = rego

    def scan(self, context: ScanContext) -> ScanResult:
        started = time.monotonic()
        lookup = find_tool("trivy", self.trivy_path)
        if lookup.path is None:
            return missing_tool_result(self.name, lookup, required=self.required)
        version = trivy.version(lookup.path)
        checks = load_rego_checks(self.rego, context.root) if self.rego else None
        if checks is not None and checks.error:
            return ScanResult(self.name, "trivy", version, error=checks.error, hint=checks.hint)
        candidates = find_config_files(context.paths, context.excludes)
        if checks is None and all(c.kind in _NOT_CHECKED for c in candidates):
            # Nothing trivy could check: spare every Python-only project trivy's start-up.
            return ScanResult(
                self.name,
                "trivy",
                version,
                coverage=_coverage(context, candidates, set(), {}),
                notes=("no configuration files",),
                duration=time.monotonic() - started,
            )
        # The canary runs beside the real scan, with the same flags and checks.
        canary = IacCanary(
            lookup.path, _args(context, checks), context.workdir / "canary", context.timeout
        )
        findings: list[Finding] = []
        reported: set[str] = set()
        parse_errors: dict[str, str] = {}
        log_errors: list[str] = []
        embedded = False
        for index, top in enumerate(path for path in context.paths if path.exists()):
            run = trivy.run_trivy(
                lookup.path,
                "config",
                _args(context, checks),
                [top],
                timeout=context.timeout,
                workdir=context.workdir / f"run{index}",
            )
            if run.error:
                hint = "run the command by hand to see trivy's own error"
                if checks is not None and "rego" in run.error.lower():
                    hint = f"fix the Rego check named above (devsecops_rego = {checks.folder})"
                return ScanResult(self.name, "trivy", version, error=run.error, hint=hint)
            base = top if top.is_dir() else top.parent
            log = trivy_log.read(run.stderr)
            embedded = embedded or log.embedded_checks
            for target, message in log.parse_errors.items():
                parse_errors.setdefault(context.relative(base / target), message)
            log_errors.extend(log.other_errors)
            if log.rego_errors:
                return ScanResult(
                    self.name,
                    "trivy",
                    version,
                    error="a custom Rego check does not compile, so trivy skipped it:\n"
                    + "\n".join(printable(line) for line in log.rego_errors),
                    hint=f"fix the Rego check named above (devsecops_rego = {_folder(checks)})",
                )
            for result in run.results:
                target = context.relative(base / str(result.get("Target", "")))
                reported.add(target)
                for item in result.get("Misconfigurations") or []:
                    if isinstance(item, dict) and item.get("Status") == "FAIL":
                        findings.append(self._finding(context, target, item))
        coverage = _coverage(context, candidates, reported, parse_errors)
        error, hint = "", ""
        if log_errors:
            error = "trivy logged errors it did not attribute to a file:\n" + "\n".join(
                f"  {printable(line)}" for line in dict.fromkeys(log_errors)
            )
            hint = "run trivy config by hand on the project to see the whole log"
        canary_failure = canary.wait()
        if canary_failure:
            error = "\n".join(part for part in (error, canary_failure) if part)
            hint = hint or "check the trivy install and its checks bundle: it missed a known flaw"
        return ScanResult(
            self.name,
            "trivy",
            _describe(version, embedded, checks),
            tuple(findings),
            coverage,
            error=error,
            hint=hint,
            notes=() if candidates else ("no configuration files",),
            duration=time.monotonic() - started,
        )

    def _finding(self, context: ScanContext, path: str, item: Mapping[str, Any]) -> Finding:
        cause = item.get("CauseMetadata") or {}
        resource = str(cause.get("Resource") or "")
        line = int(cause.get("StartLine") or 0)
        end = int(cause.get("EndLine") or line)
        message = " ".join(str(item.get("Message") or "").split())
        rule = str(item.get("ID") or item.get("AVDID") or "unknown")
        snippet = _snippet(cause.get("Code") or {}, line, end) or _file_lines(
            context.root / path, line, end
        )
        references = [str(item.get("PrimaryURL") or "")]
        references += [str(ref) for ref in item.get("References") or []]
        details = [("message", printable(redact(message)))]
        if resource:
            details.append(("resource", printable(resource)))
        return Finding(
            scanner=self.name,
            rule=rule,
            title=printable(str(item.get("Title") or rule)),
            severity=severities.trivy(str(item.get("Severity") or "")),
            location=Location(path=path, line=line),
            identity=f"{path}\x1f{resource}\x1f{normalise_code(redact(message))}",
            snippet=printable(redact(snippet)),
            remediation=printable(str(item.get("Resolution") or "")),
            references=tuple(ref for ref in dict.fromkeys(references) if ref),
            label=printable(f"{path}:{resource}" if resource else path),
            details=tuple(details),
        )


def _folder(checks: RegoChecks | None) -> str:
    return checks.folder if checks is not None else "?"


def _args(context: ScanContext, checks: RegoChecks | None) -> list[str]:
    # One argv element per flag=value: a value can never be taken for another flag.
    args = [f"--skip-dirs=**/{name}" for name in context.excludes]
    args += [f"--skip-dirs={name}" for name in context.excludes]
    if checks is not None:
        args += [f"--config-check={checks.folder_path}"]
        args += [f"--check-namespaces={','.join(checks.namespaces)}"]
    return args


def _describe(version: str, embedded: bool, checks: RegoChecks | None) -> str:
    bundle = "embedded checks" if embedded else "checks bundle from trivy's cache"
    if checks is not None:
        count = len(checks.files)
        bundle += f" + {count} Rego file{'s' if count != 1 else ''} from {checks.folder}"
    return f"{version} ({bundle})".strip()


def _coverage(
    context: ScanContext,
    candidates: list[ConfigFile],
    reported: set[str],
    parse_errors: dict[str, str],
) -> Coverage:
    requested, scanned, skipped = [], [], []
    for candidate in candidates:
        path = context.relative(candidate.path)
        requested.append(path)
        problem = candidate.problem or parse_errors.pop(path, "")
        if candidate.kind in _NOT_CHECKED:
            skipped.append(Skipped(path, _NOT_CHECKED[candidate.kind], deliberate=True))
        elif problem:
            skipped.append(Skipped(path, problem))
        elif _was_reported(path, candidate.kind, reported):
            scanned.append(path)
        else:
            skipped.append(
                Skipped(
                    path, f"looks like {candidate.kind} configuration, but trivy did not scan it"
                )
            )
    # Parse errors for files we did not expect are gaps too: trivy tried and failed.
    skipped += [Skipped(path, message) for path, message in sorted(parse_errors.items())]
    return Coverage(tuple(requested), tuple(scanned), tuple(skipped), unit="configuration files")


def _was_reported(path: str, kind: str, reported: set[str]) -> bool:
    if path in reported:
        return True
    if kind == "terraform":
        # trivy reports a Terraform module's passing checks once, on its folder.
        folder = path.rpartition("/")[0] or "."
        return folder in reported or any(t.startswith(f"{folder}/") for t in reported)
    if kind == "helm":
        return any(target.startswith(f"{path}/") for target in reported)
    return False


def _snippet(code: Mapping[str, Any], first: int, last: int) -> str:
    lines = [line for line in code.get("Lines") or [] if isinstance(line, dict)]
    kept = [
        str(line.get("Content", ""))
        for line in lines
        if not first or first <= int(line.get("Number") or 0) <= max(first, last)
    ]
    return "\n".join(kept[:_MAX_SNIPPET_LINES])


def _file_lines(path: Path, first: int, last: int) -> str:
    if not first:
        return ""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[first - 1 : min(max(first, last), first + _MAX_SNIPPET_LINES - 1)])
