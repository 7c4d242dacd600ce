"""One way to run trivy offline: fixed safety flags, JSON to a file, stderr kept for its log."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.redact import printable, tail
from . import process

# Never reach for the network, never read the trivy.yaml or .trivyignore that trivy otherwise
# loads from the current directory (the repository, as a rule): a pull request must not be able
# to switch checks off. A fresh cache directory makes every run use the checks embedded in the
# binary.
_COMMON = (
    "--skip-check-update",
    "--disable-telemetry",
    "--skip-version-check",
    "--config",
    "",
    "--ignorefile",
    "",
)
# Subcommands that also know about the vulnerability database.
_DB_SUBCOMMANDS = frozenset({"fs", "filesystem", "rootfs", "image", "repository", "repo", "sbom"})
_DB_FLAGS = ("--skip-db-update", "--offline-scan")
_VERSION = re.compile(r"Version:\s*(\S+)")


@dataclasses.dataclass(frozen=True)
class TrivyRun:
    """trivy's parsed JSON report and its log, or why the run cannot be trusted (`error`)."""

    data: dict[str, Any]
    stderr: str
    error: str = ""
    command: str = ""

    @property
    def results(self) -> list[dict[str, Any]]:
        found = self.data.get("Results") or []
        return [item for item in found if isinstance(item, dict)]


def version(tool: Path, timeout: float = 30.0) -> str:
    """trivy's version number, or '' when it cannot tell (then the run will say why)."""
    outcome = process.run([str(tool), "--version"], timeout)
    match = _VERSION.search(outcome.stdout or "")
    return match.group(1) if match else ""


def run_trivy(
    tool: Path,
    subcommand: str,
    args: Sequence[str],
    targets: Sequence[Path | str],
    *,
    timeout: float,
    workdir: Path,
) -> TrivyRun:
    """Run `trivy SUBCOMMAND [safety flags] ARGS -- TARGETS` and read its JSON report.

    `args` are our own flags (never text from the repository); `targets` come after `--`,
    so no file name can be read as an option.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    report = workdir / f"trivy-{subcommand}.json"
    report.unlink(missing_ok=True)
    argv = [str(tool), subcommand, *_COMMON, "--cache-dir", str(workdir / "trivy-cache")]
    if subcommand in _DB_SUBCOMMANDS:
        argv += _DB_FLAGS
    argv += ["--timeout", f"{max(int(timeout), 1)}s", "--format", "json", "--output", str(report)]
    argv += [*args, "--", *(str(target) for target in targets)]
    outcome = process.run(argv, timeout + 10)
    command = " ".join(argv[:2]) + " ... -- " + " ".join(str(target) for target in targets[:3])
    failure = _failure(outcome, report, timeout, command)
    if failure:
        return TrivyRun({}, outcome.stderr, failure, command)
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return TrivyRun({}, outcome.stderr, f"trivy's report is not valid JSON: {exc}", command)
    if not isinstance(data, dict) or not isinstance(data.get("Results", []) or [], list):
        return TrivyRun({}, outcome.stderr, "trivy's report has no Results list", command)
    return TrivyRun(data, outcome.stderr, "", command)


def _failure(outcome: process.ProcessOutcome, report: Path, timeout: float, command: str) -> str:
    if outcome.start_error:
        return f"could not start trivy ({command}): {outcome.start_error}"
    if outcome.timed_out:
        return f"trivy timed out after {timeout:g}s and was killed ({command})"
    if outcome.returncode != 0:
        return (
            f"trivy exited with status {outcome.returncode} ({command}):\n"
            f"{printable(fatal_message(outcome.stderr))}"
        )
    if not report.is_file():
        return f"trivy wrote no report ({command}):\n{tail(outcome.stderr)}"
    return ""


def fatal_message(stderr: str) -> str:
    """trivy's FATAL line and what follows it (e.g. a Rego compile error), else its log's tail."""
    lines = stderr.splitlines()
    for index, line in enumerate(lines):
        if "\tFATAL\t" in line or " FATAL " in line:
            return "\n".join(lines[index : index + 12])
    return tail(stderr)
