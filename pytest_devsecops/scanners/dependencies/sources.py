"""Where dependencies come from: requirements files, pyproject, pylock, or the environment.

Nothing here installs or resolves anything: a dependency that is not pinned to one version
cannot be audited, and becomes a coverage gap instead of being dropped.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ...core import paths
from ...core.finding import Skipped
from ...core.redact import excerpt
from .model import Dependency

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

_INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s*=\s*|\s+|(?=\S))(?P<path>\S+)$")
_CONSTRAINT = re.compile(r"^(?:-c|--constraint)(?:\s*=\s*|\s+|(?=\S))\S+$")
_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s*=\s*|\s+|(?=\S))(?P<what>\S+)")
_COMMENT = re.compile(r"(^|\s)#.*$")
MAX_FILE_BYTES = 8 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Collected:
    """Dependencies that can be audited, and the ones that cannot (with why)."""

    dependencies: tuple[Dependency, ...] = ()
    gaps: tuple[Skipped, ...] = ()
    requested: tuple[str, ...] = ()

    def __add__(self, other: Collected) -> Collected:
        return Collected(
            self.dependencies + other.dependencies,
            self.gaps + other.gaps,
            self.requested + other.requested,
        )


def collect(files: list[Path], root: Path) -> Collected:
    """Dependencies from each file, by its kind (pyproject.toml, pylock*.toml, requirements)."""
    total = Collected()
    for path in files:
        relative = _relative(path, root)
        if not path.exists() and not path.is_symlink():
            total += Collected(gaps=(Skipped(relative, "requirements file does not exist"),))
        elif path.name == "pyproject.toml":
            total += from_pyproject(path, root)
        elif path.name.startswith("pylock") and path.suffix == ".toml":
            total += from_pylock(path, root)
        else:
            total += from_requirements(path, root, set())
    return total


def from_requirements(path: Path, root: Path, seen: set[Path]) -> Collected:
    """A pip requirements file, following `-r` includes (each file once)."""
    relative = _relative(path, root)
    resolved = path.resolve()
    if resolved in seen:
        return Collected()
    seen.add(resolved)
    loaded = _read_text(path, relative)
    if isinstance(loaded, Collected):
        return loaded
    text, total = loaded, Collected()
    for number, line in _logical_lines(text):
        where = f"{relative}:{number}"
        if include := _INCLUDE.match(line):
            target = path.parent / include.group("path")
            if not target.exists() and not target.is_symlink():
                total += Collected(
                    gaps=(Skipped(where, f"included file {target.name} does not exist"),)
                )
                continue
            try:
                # A committed file may not pull in anything outside the project.
                paths.checked_file(target, root, "included file")
            except paths.PathRefused as exc:
                total += Collected(gaps=(Skipped(where, str(exc)),))
            else:
                total += from_requirements(target, root, seen)
            continue
        if _CONSTRAINT.match(line):
            continue  # constraints pin nothing by themselves
        if editable := _EDITABLE.match(line):
            what = editable.group("what")
            gap = Skipped(f"{what} ({where})", "editable requirement has no version to audit")
            total += Collected(gaps=(gap,), requested=(what,))
            continue
        if line.startswith("-"):
            continue  # index, find-links, hash-mode and other global options
        total += _requirement(_strip_options(line), relative, number)
    return total


def from_pyproject(path: Path, root: Path) -> Collected:
    """`[project.dependencies]` of a pyproject.toml; only `==` pins can be audited."""
    relative = _relative(path, root)
    loaded = _read_toml(path, relative)
    if isinstance(loaded, Collected):
        return loaded
    text, data = loaded
    project = data.get("project")
    if not isinstance(project, dict):
        return Collected(gaps=(Skipped(relative, "has no [project] table"),))
    total = Collected()
    for spec in project.get("dependencies") or ():
        total += _requirement(str(spec), relative, _line_of(text, str(spec)))
    return total


def from_pylock(path: Path, root: Path) -> Collected:
    """A PEP 751 lock file: every `[[packages]]` entry with a version."""
    relative = _relative(path, root)
    loaded = _read_toml(path, relative)
    if isinstance(loaded, Collected):
        return loaded
    text, data = loaded
    total = Collected()
    packages: list[Any] = data.get("packages") or []
    for package in packages:
        name = str(package.get("name", ""))
        version = package.get("version")
        line = _line_of(text, f'"{name}"')
        if not version:
            gap = Skipped(f"{name} ({relative}:{line})", "has no version (a VCS or path source)")
            total += Collected(gaps=(gap,), requested=(name,))
        else:
            dependency = Dependency(name, str(version), relative, line)
            total += Collected(dependencies=(dependency,), requested=(f"{name}=={version}",))
    return total


def _read_toml(path: Path, relative: str) -> tuple[str, dict[str, Any]] | Collected:
    """The file's text and parsed data, or a Collected holding the gap that says why not."""
    text = _read_text(path, relative)
    if isinstance(text, Collected):
        return text
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Collected(gaps=(Skipped(relative, f"cannot be read: {exc}"),))


def _read_text(path: Path, relative: str) -> str | Collected:
    """The file's text: a regular file (never a FIFO, device or /proc file), size-capped."""
    try:
        return paths.read_bytes(path, MAX_FILE_BYTES, what="requirements file").decode("utf-8")
    except paths.PathRefused as exc:
        return Collected(gaps=(Skipped(relative, str(exc)),))
    except OSError as exc:
        return Collected(gaps=(Skipped(relative, f"cannot be read: {exc.strerror}"),))
    except UnicodeDecodeError as exc:
        return Collected(gaps=(Skipped(relative, f"is not UTF-8 ({exc.reason} at {exc.start})"),))


def from_environment(metadata_file: str) -> Collected:
    """Every distribution installed in the interpreter running pytest."""
    found: dict[str, Dependency] = {}
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"]
        if not name:
            continue
        # The same distribution can sit twice on sys.path; the first one is the one imported.
        found.setdefault(
            canonicalize_name(name), Dependency(name, distribution.version, metadata_file)
        )
    dependencies = tuple(sorted(found.values(), key=lambda dep: dep.canonical))
    return Collected(dependencies, requested=tuple(f"{d.name}=={d.version}" for d in dependencies))


def _requirement(text: str, relative: str, number: int) -> Collected:
    where = f"{relative}:{number}"
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        # Never echo the whole line: it may be anything, a secret included.
        why = f"unparseable requirement ({excerpt(text)}): {excerpt(str(exc).split(chr(10))[0])}"
        return Collected(gaps=(Skipped(where, why),))
    if requirement.url:
        gap = Skipped(f"{requirement.name} ({where})", "comes from a URL, not a version to audit")
        return Collected(gaps=(gap,), requested=(requirement.name,))
    pins = [spec for spec in requirement.specifier if spec.operator in ("==", "===")]
    if len(requirement.specifier) != 1 or not pins or "*" in pins[0].version:
        shown = f"{requirement.name}{requirement.specifier}" or requirement.name
        gap = Skipped(f"{requirement.name} ({where})", f"{shown} is not pinned; pin it with ==")
        return Collected(gaps=(gap,), requested=(shown,))
    dependency = Dependency(requirement.name, pins[0].version, relative, number)
    return Collected((dependency,), requested=(f"{requirement.name}=={pins[0].version}",))


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with comments removed and backslash continuations joined, with their first line."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        if joined:
            yield start, joined


def _strip_options(line: str) -> str:
    """`pkg==1.0 --hash=sha256:...` → `pkg==1.0` (per-requirement options follow the spec)."""
    return re.split(r"\s+--?[a-z]", line, maxsplit=1)[0].strip()


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 1


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
