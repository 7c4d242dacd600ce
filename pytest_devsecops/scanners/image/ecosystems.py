"""Which OSV ecosystem an image's packages belong to, and how that ecosystem orders versions."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cmp_to_key
from typing import Any

from packaging.version import InvalidVersion, Version

# trivy's OS family -> (OSV ecosystem name, how the release is written in OSV, comparator kind)
_OS_FAMILIES = {
    "debian": ("Debian", "major", "dpkg"),
    "ubuntu": ("Ubuntu", "ubuntu", "dpkg"),
    "alpine": ("Alpine", "alpine", "apk"),
    "rocky": ("Rocky Linux", "major", "rpm"),
    "alma": ("AlmaLinux", "major", "rpm"),
    "almalinux": ("AlmaLinux", "major", "rpm"),
}
# trivy's package type for language packages -> OSV ecosystem
LANGUAGE_ECOSYSTEMS = {"python-pkg": "PyPI", "pip": "PyPI", "pipenv": "PyPI", "poetry": "PyPI"}


class UnsupportedOs(ValueError):
    """An OS whose advisories OSV does not publish (or we cannot order versions for)."""


@dataclasses.dataclass(frozen=True)
class Ecosystem:
    """An OSV ecosystem as matched against records: `Debian:12` matches `Debian:12` only."""

    name: str  # e.g. "Debian:12", "Alpine:v3.18", "PyPI"
    kind: str  # "dpkg" | "apk" | "rpm" | "pypi"

    @property
    def base(self) -> str:
        return self.name.split(":", 1)[0]

    def matches(self, record_ecosystem: str) -> bool:
        """Whether an `affected[].package.ecosystem` value is about this ecosystem and release.

        A record for another release never matches (a Debian 11 fix is not a Debian 12 fix);
        Ubuntu's suffixes (`Ubuntu:22.04:LTS`, `Ubuntu:Pro:22.04:LTS`) are compared on the
        release number.
        """
        if self.kind == "pypi":
            return record_ecosystem.split(":", 1)[0] == "PyPI"
        if record_ecosystem == self.name:
            return True
        if self.base == "Ubuntu":
            parts = record_ecosystem.split(":")
            release = self.name.split(":", 1)[1]
            return parts[0] == "Ubuntu" and release in parts[1:] and "Pro" not in parts
        return False


def os_ecosystem(family: str, release: str) -> Ecosystem:
    """The ecosystem of an OS detected by trivy, e.g. ("debian", "12.5") -> Debian:12."""
    known = _OS_FAMILIES.get(family.lower())
    if known is None or not release:
        raise UnsupportedOs(
            f"the image's OS {family or 'unknown'} {release or ''} is not one whose advisories "
            f"we can match (supported: {', '.join(sorted(_OS_FAMILIES))})".replace("  ", " ")
        )
    name, style, kind = known
    parts = release.split(".")
    if style == "major":
        written = parts[0]
    elif style == "alpine":
        written = "v" + ".".join(parts[:2])
    else:  # ubuntu: 22.04
        written = ".".join(parts[:2])
    return Ecosystem(f"{name}:{written}", kind)


PYPI = Ecosystem("PyPI", "pypi")


def comparator(kind: str) -> Callable[[str], Any]:
    """A sort key for versions of the ecosystem kind; raises ValueError on unparsable versions."""
    if kind == "pypi":
        return _pypi_key
    # univers implements dpkg (epochs, `~`), apk and rpm ordering; imported on first use.
    from univers import versions

    classes = {
        "dpkg": versions.DebianVersion,
        "apk": versions.AlpineLinuxVersion,
        "rpm": versions.RpmVersion,
    }
    version_class = classes[kind]

    def key(text: str) -> Any:
        try:
            return version_class(text)
        except Exception as exc:  # univers raises several types for bad input
            raise ValueError(f"not a {kind} version: {text!r}") from exc

    return key


def _pypi_key(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise ValueError(str(exc)) from None


def sort_versions(kind: str, items: list[str]) -> list[str]:
    """`items` in the ecosystem's order; unparsable versions are dropped."""
    key = comparator(kind)
    parsed = []
    for text in items:
        try:
            parsed.append((key(text), text))
        except ValueError:
            continue
    return [text for _, text in sorted(parsed, key=cmp_to_key(_cmp))]


def _cmp(left: tuple[Any, str], right: tuple[Any, str]) -> int:
    return -1 if left[0] < right[0] else (1 if left[0] > right[0] else 0)
