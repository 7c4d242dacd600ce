"""What the SBOM describes: the project (from `[project]`), its dependency closure, pin hashes."""

from __future__ import annotations

import dataclasses
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.markers import Marker, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..core.finding import Component

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

_HASH = re.compile(r"--hash[=\s]+(?P<alg>sha256|sha384|sha512|md5|sha1):(?P<hex>[0-9a-fA-F]+)")
_KEY = re.compile(r'^\s*name\s*=\s*"(?P<name>[^"]+)"')


@dataclasses.dataclass(frozen=True)
class Project:
    """The product the SBOM is about; `dependencies` is None when it declares none we can read."""

    name: str
    version: str = ""
    dependencies: tuple[str, ...] | None = None

    @property
    def purl(self) -> str:
        name = canonicalize_name(self.name)
        return f"pkg:pypi/{name}@{self.version}" if self.version else f"pkg:pypi/{name}"


def project(root: Path) -> Project | None:
    """`[project]` of the rootdir's pyproject.toml (name, version, dependencies), if any."""
    try:
        data: dict[str, Any] = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    table = data.get("project")
    if not isinstance(table, dict) or not isinstance(table.get("name"), str):
        return None
    version = table.get("version")
    if not isinstance(version, str):  # dynamic: the installed distribution knows it
        try:
            version = metadata.version(table["name"])
        except metadata.PackageNotFoundError:
            version = ""
    declared = table.get("dependencies")
    dependencies = tuple(str(spec) for spec in declared) if isinstance(declared, list) else ()
    return Project(table["name"], version, dependencies)


def closure(requirements: tuple[str, ...]) -> set[str]:
    """Canonical names of the installed distributions these requirements pull in, transitively."""
    found: set[str] = set()
    pending = [(spec, frozenset[str]()) for spec in requirements]
    while pending:
        spec, extras = pending.pop()
        try:
            requirement = Requirement(spec)
        except InvalidRequirement:
            continue
        if requirement.marker is not None and not _applies(requirement.marker, extras):
            continue
        name = canonicalize_name(requirement.name)
        key = f"{name}[{','.join(sorted(requirement.extras))}]"
        if key in found:
            continue
        found.add(key)
        try:
            requires = metadata.distribution(requirement.name).requires or []
        except metadata.PackageNotFoundError:
            continue
        pending.extend((child, frozenset(requirement.extras)) for child in requires)
    return {key.split("[", 1)[0] for key in found}


def _applies(marker: Marker, extras: frozenset[str]) -> bool:
    """Whether a requirement applies here, for the extras its parent was asked with."""
    try:
        if marker.evaluate({"extra": ""}):
            return True
        return any(marker.evaluate({"extra": extra}) for extra in extras)
    except UndefinedEnvironmentName:
        return False


def hashes(root: Path, component: Component) -> list[tuple[str, str]]:
    """(algorithm, hex) pairs the pinning file gives for `component` (none: environment)."""
    if not component.path or not component.line:
        return []
    try:
        lines = (root / component.path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    if component.path.rsplit("/", 1)[-1].startswith("pylock"):
        return _lock_hashes(lines, component.name)
    start = component.line - 1
    logical = []
    for line in lines[start:]:
        logical.append(line.split("#", 1)[0])
        if not line.rstrip().endswith("\\"):
            break
    return [(m.group("alg"), m.group("hex").lower()) for m in _HASH.finditer(" ".join(logical))]


def _lock_hashes(lines: list[str], name: str) -> list[tuple[str, str]]:
    """The sha256 hashes listed in the `[[packages]]` entry named `name` of a pylock file."""
    wanted, inside, named, found = canonicalize_name(name), False, False, []
    for line in lines:
        if line.strip() == "[[packages]]":
            inside = named = False
        elif not named and (match := _KEY.match(line)) is not None:
            # The entry's own name; later `name =` keys belong to its wheels.
            inside, named = canonicalize_name(match.group("name")) == wanted, True
        elif inside:
            found += re.findall(r'sha256\s*=\s*"([0-9a-fA-F]{64})"', line)
    return [("sha256", value.lower()) for value in dict.fromkeys(found)]
