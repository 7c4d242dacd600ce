"""The result of a scanner whose external tool is not installed: an error or a visible skip."""

from __future__ import annotations

from ..core.finding import ScanResult
from .tools import ToolLookup


def missing_tool_result(scanner: str, lookup: ToolLookup, *, required: bool) -> ScanResult:
    """Named explicitly, a missing tool fails the status; on the default set, it is skipped.

    A skip is never a pass: the status item is reported as skipped with the install line,
    so the summary shows that this stage did not run.
    """
    problem = lookup.problem or f"{lookup.name} was not found"
    if required:
        return ScanResult(scanner, lookup.name, "", error=problem, hint=lookup.hint)
    return ScanResult(scanner, lookup.name, "", unavailable=f"{problem}; to run it: {lookup.hint}")
