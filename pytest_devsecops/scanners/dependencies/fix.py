"""`--devsecops-fix`: rewrite each vulnerable pin to the smallest upgrade that clears it.

Only the version text of a vulnerable pin changes; comments, order, markers, extras and line
continuations stay byte for byte. Hash-pinned requirements and hashed lock entries are listed
with the command that regenerates them (hashes cannot be computed offline), and a package with
no clearing version is reported, never touched.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import itertools
import re
from collections.abc import Iterable
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ...core import atomic
from ...core.finding import Finding, ScanResult
from ...core.redact import printable
from . import sources
from .model import Dependency

_UPGRADE = re.compile(r"^\S+ (?P<version>\S+) \(")
_BLOCK = re.compile(r"^\s*\[\[packages\]\]\s*$")
_KEY = re.compile(r'^\s*(?P<key>[A-Za-z0-9_-]+)\s*=\s*"(?P<value>[^"]*)"')


@dataclasses.dataclass(frozen=True)
class Proposal:
    """New file contents, their unified diff, and the pins left alone (with why)."""

    changes: tuple[tuple[Path, str, str], ...] = ()  # (path, old text, new text)
    diff: str = ""
    notes: tuple[str, ...] = ()


def targets(findings: Iterable[Finding]) -> dict[tuple[str, str], str | None]:
    """(package, vulnerable version) → the smallest version clearing every advisory, or None."""
    upgrades: dict[tuple[str, str], set[str]] = {}
    firsts: dict[tuple[str, str], list[str | None]] = {}
    for finding in findings:
        details = dict(finding.details)
        if finding.scanner != "pip-audit" or "installed" not in details:
            continue
        name, _, version = details["installed"].rpartition(" ")
        key = (str(canonicalize_name(name)), version)
        upgrades.setdefault(key, set())
        if match := _UPGRADE.match(details.get("smallest safe upgrade", "")):
            upgrades[key].add(match.group("version"))
        fixed = [v.strip() for v in details.get("fixed in", "").split(",") if _is_version(v)]
        firsts.setdefault(key, []).append(min(fixed, key=Version) if fixed else None)
    plan: dict[tuple[str, str], str | None] = {}
    for key, found in upgrades.items():
        if found:  # the offline audit checked this version against every matched advisory
            plan[key] = max(found, key=Version)
        elif None in firsts[key]:
            plan[key] = None
        else:  # online: the first fix of each advisory, so the highest of those clears them all
            plan[key] = max((v for v in firsts[key] if v), key=Version)
    return plan


def propose(files: Iterable[Path], root: Path, findings: Iterable[Finding]) -> Proposal:
    """What `--devsecops-fix` would change in the audited `files` (nothing is written here)."""
    plan = targets(findings)
    collected = sources.collect(list(files), root)
    by_file: dict[str, list[Dependency]] = {}
    for dependency in collected.dependencies:
        if (dependency.canonical, dependency.version) in plan:
            by_file.setdefault(dependency.path, []).append(dependency)
    changes: list[tuple[Path, str, str]] = []
    diffs: list[str] = []
    notes: list[str] = []
    for relative in sorted(by_file):
        path = root / relative
        old = path.read_text(encoding="utf-8")
        lines = old.splitlines(keepends=True)
        for dependency in by_file[relative]:
            target = plan[(dependency.canonical, dependency.version)]
            where = f"{relative}:{dependency.line} {dependency.name}=={dependency.version}"
            if target is None:
                notes.append(f"{where}: no fixed version clears its advisories; not changed")
                continue
            if path.name.startswith("pylock") and path.suffix == ".toml":
                problem = _rewrite_lock(lines, dependency, target)
            else:
                problem = _rewrite_pin(lines, dependency, target)
            if problem:
                notes.append(f"{where} -> {target}: {problem}")
        new = "".join(lines)
        if new != old:
            changes.append((path, old, new))
            diffs.extend(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    f"a/{relative}",
                    f"b/{relative}",
                )
            )
    return Proposal(tuple(changes), "".join(diffs), tuple(notes))


def apply(proposal: Proposal, root: Path) -> list[str]:
    """Write each changed file atomically, unless it changed on disk since it was read."""
    problems = []
    for path, old, new in proposal.changes:
        try:
            expected = hashlib.sha256(old.encode("utf-8")).hexdigest()
            atomic.replace_if_unchanged(path, new.encode("utf-8"), expected, root)
        except (OSError, atomic.UnsafePathError, atomic.ConcurrentEditError) as exc:
            problems.append(f"{path} not rewritten: {exc}")
    return problems


def fix_pins(
    files: tuple[Path, ...], root: Path, results: Iterable[ScanResult], mode: str
) -> list[str]:
    """Run the fix for this session (`mode` "apply" or "dry-run"); the lines to show the user."""
    audit = [result for result in results if result.scanner == "pip-audit"]
    if not audit:
        return ["devsecops fix: the pip-audit scanner did not run; nothing to fix"]
    if not files:
        return [
            "devsecops fix: the environment was audited, not files; nothing to rewrite "
            "(list your requirements/pyproject/pylock files in devsecops_requirements)"
        ]
    failed = [result.error for result in audit if result.error]
    if failed:
        return [
            f"devsecops fix: the dependency audit failed, so nothing was rewritten: {failed[0]}"
        ]
    findings = [finding for result in audit for finding in result.findings]
    proposal = propose(files, root, findings)
    lines = [printable(line) for line in proposal.diff.splitlines()]
    lines += [f"devsecops fix: {printable(note)}" for note in proposal.notes]
    if not proposal.changes:
        lines.append("devsecops fix: no pin to rewrite")
    elif mode == "dry-run":
        lines.append(f"devsecops fix (dry run): {len(proposal.changes)} file(s) would change")
    else:
        problems = apply(proposal, root)
        lines += [f"devsecops fix: {printable(problem)}" for problem in problems]
        written = len(proposal.changes) - len(problems)
        lines.append(
            f"devsecops fix: {written} file(s) rewritten; rerun pytest to audit the new pins"
        )
    return lines


def _pin_pattern(dependency: Dependency) -> re.Pattern[str]:
    name = r"[-_.]+".join(re.escape(part) for part in re.split(r"[-_.]+", dependency.canonical))
    return re.compile(
        rf"(?i)(?<![\w.-])(?P<head>{name}\s*(?:\[[^\]]*\])?\s*===?\s*)"
        rf"(?P<version>{re.escape(dependency.version)})(?![\w.+!*-])"
    )


def _rewrite_pin(lines: list[str], dependency: Dependency, target: str) -> str:
    """Change the version of the pin at its (logical) line; '' when done, else why not."""
    start = dependency.line - 1
    end = start
    while end < len(lines) - 1 and lines[end].rstrip("\r\n").split("#", 1)[0].endswith("\\"):
        end += 1
    logical = " ".join(line.split("#", 1)[0] for line in lines[start : end + 1])
    if "--hash" in logical:
        return (
            "hash-pinned, so not rewritten; regenerate its hashes, e.g. "
            f"`pip-compile --generate-hashes --upgrade-package '{dependency.name}=={target}'` "
            f"or `uv pip compile --generate-hashes --upgrade-package '{dependency.name}=={target}'`"
        )
    pattern = _pin_pattern(dependency)
    for number in range(start, end + 1):
        code, hashmark, comment = lines[number].partition("#")
        replaced, count = pattern.subn(rf"\g<head>{target}", code, count=1)
        if count:
            lines[number] = replaced + hashmark + comment
            return ""
    return "the pin is written in a way the fixer does not recognise; change it by hand"


def _rewrite_lock(lines: list[str], dependency: Dependency, target: str) -> str:
    """Change `version` of the lock entry; refused when the entry carries hashes or artifacts."""
    blocks = [i for i, line in enumerate(lines) if _BLOCK.match(line)] + [len(lines)]
    for first, after in itertools.pairwise(blocks):
        keys: dict[str, tuple[int, str]] = {}
        for number in range(first + 1, after):
            if (match := _KEY.match(lines[number])) is not None:
                keys.setdefault(match.group("key"), (number, match.group("value")))
        name, version = keys.get("name"), keys.get("version")
        if name is None or version is None or canonicalize_name(name[1]) != dependency.canonical:
            continue
        if version[1] != dependency.version:
            continue
        entry = "".join(lines[first:after])
        if "hashes" in entry or "wheels" in entry or "sdist" in entry:
            return (
                "the lock entry carries hashes, so not rewritten; regenerate the lock, e.g. "
                f"`pip lock '{dependency.name}=={target}'` or `uv lock --upgrade-package "
                f"'{dependency.name}=={target}'` then `uv export --format pylock.toml`"
            )
        number = version[0]
        lines[number] = lines[number].replace(f'"{dependency.version}"', f'"{target}"', 1)
        return ""
    return "its [[packages]] entry was not found; change it by hand"


def _is_version(text: str) -> bool:
    try:
        Version(text.strip())
    except InvalidVersion:
        return False
    return True
