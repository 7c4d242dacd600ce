"""Ask git which lines changed since `git merge-base REF HEAD`, uncommitted work included."""

from __future__ import annotations

from pathlib import Path

from .core.since import ChangeSet, parse_diff, with_new_files
from .scanners import process
from .scanners.tools import find_tool

# A repository's own git config could run commands (fsmonitor, external diff, textconv).
_SAFE = ("-c", "core.fsmonitor=false", "-c", "core.quotePath=false", "-c", "diff.noprefix=false")


class SinceError(ValueError):
    """REF cannot be used: the message names it and says why."""


def changes_since(root: Path, ref: str, timeout: float = 60.0) -> ChangeSet:
    """Lines added or changed in the working tree since the merge base of REF and HEAD."""
    tool = find_tool("git")
    if tool.path is None:
        raise SinceError(f"--devsecops-since {ref}: {tool.problem}; {tool.hint}")
    if ref.startswith("-"):
        raise SinceError(f"--devsecops-since {ref!r}: not a git revision")
    git = [str(tool.path), "-C", str(root), *_SAFE]

    def run(*args: str) -> str:
        outcome = process.run([*git, *args], timeout)
        if outcome.returncode != 0:
            detail = (outcome.stderr or outcome.start_error).strip().splitlines()
            raise SinceError(
                f"--devsecops-since {ref}: git {args[0]} failed"
                + (f": {detail[-1]}" if detail else "")
            )
        return outcome.stdout

    try:
        run("rev-parse", "--is-inside-work-tree")
    except SinceError:
        raise SinceError(f"--devsecops-since {ref}: {root} is not inside a git work tree") from None
    try:
        commit = run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except SinceError:
        raise SinceError(
            f"--devsecops-since {ref}: no such git revision in {root} "
            "(fetch it first, e.g. git fetch origin main)"
        ) from None
    base = run("merge-base", commit.strip(), "HEAD").strip()
    diff = run(
        "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--relative", "-U0", base, "--"
    )
    untracked = run("ls-files", "--others", "--exclude-standard", "-z", "--", ".")
    lines = with_new_files(parse_diff(diff), [name for name in untracked.split("\0") if name])
    return ChangeSet(ref, base, lines)
