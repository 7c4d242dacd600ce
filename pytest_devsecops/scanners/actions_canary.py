"""The actions canary: a workflow with a template injection, audited by zizmor in every run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

RULE = "template-injection"
NAME = "devsecops-canary.yml"
SAMPLE = """\
name: canary
on: issues
permissions: {}
jobs:
  canary:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.issue.title }}"
"""


def plant(folder: Path) -> Path:
    """Write the sample into `folder` (private to this run) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    sample = folder / NAME
    sample.write_text(SAMPLE, encoding="utf-8")
    return sample


def take(
    data: list[dict[str, Any]], sample: Path, path_of: Callable[[Mapping[str, Any]], str]
) -> tuple[list[dict[str, Any]], str]:
    """zizmor's findings without the canary's, and why the canary failed ('' if it did not)."""
    own = [item for item in data if path_of(item) == str(sample)]
    if any(item.get("ident") == RULE for item in own):
        failure = ""
    else:
        failure = (
            f"as configured, zizmor did not find its canary: {RULE} (a workflow that expands "
            "an issue title into a shell script) — the tool or its audits are broken"
        )
    return [item for item in data if path_of(item) != str(sample)], failure
