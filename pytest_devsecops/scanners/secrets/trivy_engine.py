"""trivy's secret rules over a folder, offline, and a check of which files it really read."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ...core.redact import tail
from .. import process
from .model import PRIVATE_KEY, Candidate

ENGINE = "trivy"
# trivy's built-in allow rules silently skip tests/, examples/, vendor/, Markdown and more;
# a committed key is as leaked there as anywhere, so we switch them off and check coverage.
_ALLOW_RULES = (
    "tests", "examples", "vendor", "markdown", "node.js", "usr-dirs", "locale-dir", "golang",
    "python", "conda", "cargo", "http-server", "wordpress", "anaconda",
)  # fmt: skip
MIN_BYTES = 10
# What trivy's secret analyser never reads by name, whatever its configuration (its skip lists).
# Only a prediction, to start the second run early: what it really read is still checked.
_UNREAD_SUFFIXES = (
    ".jpg", ".png", ".gif", ".doc", ".pdf", ".bin", ".svg", ".socket", ".deb", ".rpm", ".zip",
    ".gz", ".gzip", ".tar", ".pyc",
)  # fmt: skip
_UNREAD_NAMES = frozenset(
    {"go.mod", "go.sum", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "Pipfile.lock",
     "Gemfile.lock", "poetry.lock", "Cargo.lock", "composer.lock"}
)  # fmt: skip
_SCANNED = re.compile(r'\[secret\] scanStream called\s+file_path="((?:[^"\\]|\\.)*)"')
_LEFT_CHARS = re.compile(r"[A-Za-z0-9_-]")
_RIGHT_CHARS = re.compile(r"[A-Za-z0-9_\-+/=~]")


@dataclasses.dataclass(frozen=True)
class TrivyOutcome:
    candidates: tuple[Candidate, ...] = ()
    scanned: frozenset[str] = frozenset()
    version: str = ""
    error: str = ""


@dataclasses.dataclass(frozen=True)
class TrivyRun:
    """One trivy run's raw results, before they are matched to the files' text."""

    results: tuple[Any, ...] = ()
    scanned: frozenset[str] = frozenset()
    version: str = ""
    error: str = ""


@dataclasses.dataclass(frozen=True)
class Renamed:
    """A run over copies of some files under neutral names (`aliases`: copy -> real name)."""

    aliases: dict[str, str]
    run: TrivyRun

    def outcome(self, read: dict[str, str], wanted: Iterable[str]) -> TrivyOutcome:
        """Its secrets and coverage, under the real names, for the `wanted` files only."""
        if self.run.error:
            return TrivyOutcome(error=self.run.error)
        keep = set(wanted)
        texts = {alias: read[name] for alias, name in self.aliases.items() if name in keep}
        moved = tuple(
            dataclasses.replace(c, path=self.aliases[c.path])
            for c in _candidates(self.run.results, texts)
        )
        scanned = {self.aliases[a] for a in self.run.scanned if a in texts}
        return TrivyOutcome(moved, frozenset(scanned), self.run.version)


def likely_unread(name: str) -> bool:
    """Whether trivy will skip this file by its name (see _UNREAD_SUFFIXES)."""
    base = name.rsplit("/", 1)[-1]
    return base in _UNREAD_NAMES or base.lower().endswith(_UNREAD_SUFFIXES) or ".dist-info/" in name


def renamed_run(
    trivy: Path, read: dict[str, str], names: Iterable[str], folder: Path, timeout: float
) -> Renamed:
    """trivy over copies of `names` under neutral names it does read (`000001.txt`)."""
    stage = folder / "stage"
    stage.mkdir(parents=True, exist_ok=True)
    aliases = {f"{index:06d}.txt": name for index, name in enumerate(sorted(names))}
    for alias, name in aliases.items():
        (stage / alias).write_text(read[name], encoding="utf-8", errors="surrogatepass")
    return Renamed(aliases, run(trivy, stage, folder / "out", timeout))


def complete(
    first: TrivyRun,
    read: dict[str, str],
    trivy: Path,
    workdir: Path,
    timeout: float,
    early: Renamed | None = None,
) -> TrivyOutcome:
    """The secrets of `first`, plus a second run for the files trivy never reads by name.

    trivy skips some files whatever its configuration (`*.svg`, lock files, `go.sum`,
    `*.dist-info/`): those are copied under neutral names and given to a second run, so its
    rules cover every file we listed. `read` maps relative paths to their text (for the values).
    `early` is that second run started beforehand on the files predicted to be skipped; only
    the skipped files it did not cover are run again.
    """
    if first.error:
        return TrivyOutcome(error=first.error)
    candidates = tuple(_candidates(first.results, read))
    scanned = set(first.scanned)
    missing = sorted(name for name in expected(read) if name not in scanned)
    if missing and early is not None:
        covered = early.outcome(read, missing)
        if covered.error:
            return TrivyOutcome(error=covered.error)
        candidates += covered.candidates
        scanned |= covered.scanned
        missing = [name for name in missing if name not in scanned]
    if missing:
        second = renamed_run(trivy, read, missing, workdir / "second", timeout)
        more = second.outcome(read, missing)
        if more.error:
            return TrivyOutcome(error=more.error)
        candidates += more.candidates
        scanned |= more.scanned
    return TrivyOutcome(candidates, frozenset(scanned), first.version)


def expected(read: dict[str, str]) -> list[str]:
    """The files trivy must read: it skips files under 10 bytes (no provider key fits in them)."""
    return [
        name for name, text in read.items() if len(text.encode("utf-8", "replace")) >= MIN_BYTES
    ]


def run(
    trivy: Path, folder: Path, workdir: Path, timeout: float, skip_dirs: tuple[str, ...] = ()
) -> TrivyRun:
    """Run trivy's secret scan on `folder` (blocking: callers run it beside other work)."""
    workdir.mkdir(parents=True, exist_ok=True)
    report = workdir / "trivy-secrets.json"
    secret_config = workdir / "trivy-secret.yaml"
    secret_config.write_text(
        "disable-allow-rules:\n" + "".join(f"  - {rule}\n" for rule in _ALLOW_RULES),
        encoding="utf-8",
    )
    # Our own (empty) config and ignore files: trivy would otherwise read trivy.yaml,
    # trivy-secret.yaml and .trivyignore from the scanned repository, which a PR can change.
    empty = workdir / "trivy-empty.yaml"
    empty.write_text("{}\n", encoding="utf-8")
    ignore = workdir / "trivyignore"
    ignore.write_text("", encoding="utf-8")
    argv = [
        str(trivy), "fs", "--scanners", "secret", "--skip-db-update", "--skip-check-update",
        "--offline-scan", "--disable-telemetry", "--skip-version-check", "--debug",
        "--format", "json", "--output", str(report), "--config", str(empty),
        "--ignorefile", str(ignore), "--secret-config", str(secret_config),
        "--cache-dir", str(workdir / "trivy-cache"),
    ]  # fmt: skip
    for name in skip_dirs:  # our excludes: never walk .venv, node_modules and the like
        argv += ["--skip-dirs", f"**/{name}"]
    argv += ["--", str(folder)]
    outcome = process.run(argv, timeout)
    command = f"{trivy} fs --scanners secret ... {folder}"
    if outcome.start_error:
        return TrivyRun(error=f"could not start trivy ({command}): {outcome.start_error}")
    if outcome.timed_out:
        return TrivyRun(error=f"trivy timed out after {timeout:g}s and was killed ({command})")
    errors = [line for line in outcome.stderr.splitlines() if "\tERROR\t" in line]
    if outcome.returncode != 0 or errors:
        return TrivyRun(
            error=f"trivy exited with status {outcome.returncode} ({command}):\n"
            + tail("\n".join(errors) or outcome.stderr)
        )
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return TrivyRun(error=f"trivy wrote no readable JSON report ({command}): {exc}")
    if not isinstance(data, dict):
        return TrivyRun(error="trivy's report is not a JSON object")
    scanned = frozenset(_unescape(m.group(1)) for m in _SCANNED.finditer(outcome.stderr))
    trivy_info = data.get("Trivy")
    version = str(trivy_info.get("Version", "")) if isinstance(trivy_info, dict) else ""
    return TrivyRun(tuple(data.get("Results") or []), scanned, version)


def _candidates(results: Iterable[object], read: dict[str, str]) -> list[Candidate]:
    found = []
    for result in results:
        if not isinstance(result, dict):
            continue
        target = str(result.get("Target", ""))
        text = read.get(target)
        if text is None:
            continue  # not one of our files (ignored by git, or excluded)
        lines = text.splitlines()
        for secret in result.get("Secrets") or []:
            rule = str(secret.get("RuleID", "secret"))
            start = int(secret.get("StartLine", 0))
            if not 1 <= start <= len(lines):
                continue
            if rule == PRIVATE_KEY:
                line, value, block = private_key_block(lines, start)
                found.append(Candidate(ENGINE, rule, rule, target, line, value, block))
                continue
            value = _value(lines[start - 1], str(secret.get("Match", "")))
            title = str(secret.get("Title", ""))
            if value:
                line_text = lines[start - 1]
                found.append(
                    Candidate(ENGINE, rule, rule, target, start, value, line_text, "", title)
                )
    return found


def private_key_block(lines: list[str], near: int) -> tuple[int, str, str]:
    """(line of the BEGIN marker, the key body, the header line) for a key at or after `near`."""
    begin = near
    while begin > 1 and "-----BEGIN" not in lines[begin - 1]:
        begin -= 1
    if "-----BEGIN" not in lines[begin - 1]:
        begin = near
    end = begin
    while end < len(lines) and "-----END" not in lines[end - 1]:
        end += 1
    body = "\n".join(lines[begin : end - 1]) if end > begin else lines[begin - 1]
    return begin, body.strip() or lines[begin - 1], lines[begin - 1]


def _value(line: str, match: str) -> str:
    """The secret on `line`: trivy masks it with `*` in `Match`; widen to the whole token."""
    stars = re.search(r"\*{4,}", match)
    if stars is None:
        return ""
    offset = _align(line, match)
    start, end = stars.start() + offset, stars.end() + offset
    if not 0 <= start < end <= len(line):
        return ""
    while start > 0 and _LEFT_CHARS.match(line[start - 1]):
        start -= 1
    while end < len(line) and _RIGHT_CHARS.match(line[end]):
        end += 1
    return line[start:end]


def _align(line: str, match: str) -> int:
    """Where trivy's (possibly trimmed) `Match` starts on the line."""
    prefix = match.split("*", 1)[0]
    position = line.find(prefix) if prefix else 0
    return max(position, 0)


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")
