"""The project's own Rego checks for trivy: their folder, files and declared namespaces."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

_PACKAGE = re.compile(r"(?m)^package\s+([A-Za-z_][\w.]*)\s*$")


@dataclasses.dataclass(frozen=True)
class RegoChecks:
    """`devsecops_rego`: where the checks are, and which namespaces trivy must evaluate."""

    folder: str
    folder_path: Path
    files: tuple[Path, ...] = ()
    namespaces: tuple[str, ...] = ()
    error: str = ""
    hint: str = ""


def load_rego_checks(folder: Path, root: Path) -> RegoChecks:
    """Read the package names of every `.rego` file (tests excluded); problems become `error`."""
    try:
        shown = folder.relative_to(root).as_posix()
    except ValueError:
        shown = str(folder)
    hint = f"devsecops_rego = {shown} must be a folder of trivy custom checks (.rego files)"
    if not folder.is_dir():
        return RegoChecks(
            shown, folder, error=f"the Rego checks folder {shown} does not exist", hint=hint
        )
    files = tuple(
        path
        for path in sorted(folder.rglob("*.rego"))
        if path.is_file() and not path.name.endswith("_test.rego")
    )
    if not files:
        return RegoChecks(shown, folder, error=f"{shown} holds no .rego files", hint=hint)
    namespaces = []
    for path in files:
        try:
            match = _PACKAGE.search(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            return RegoChecks(shown, folder, files, error=f"cannot read {path}: {exc}", hint=hint)
        if match is None:
            name = path.relative_to(folder).as_posix()
            return RegoChecks(
                shown, folder, files, error=f"{shown}/{name} declares no `package`", hint=hint
            )
        # trivy selects custom checks by the first segment of their package (`user` for
        # `package user.aws.s3.x`); full package names select nothing.
        namespaces.append(match.group(1).split(".")[0])
    return RegoChecks(shown, folder, files, tuple(dict.fromkeys(namespaces)))
