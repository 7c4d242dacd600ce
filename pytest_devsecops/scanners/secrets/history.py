"""Lines added in REF..HEAD, laid out as files per commit so every engine can scan them."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ...core.redact import printable, tail
from .. import process

FETCH_HINT = (
    "fetch the history the range needs: in GitHub Actions, actions/checkout with "
    "`fetch-depth: 0`; locally, `git fetch --unshallow` or `git fetch origin <ref>`"
)
_COMMIT = re.compile(r"^\x1e([0-9a-f]{7,64})$")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclasses.dataclass(frozen=True)
class History:
    """Added lines written under `folder/<short sha>/<path>` at their line numbers."""

    folder: Path
    files: tuple[str, ...] = ()  # "<short sha>/<path>", relative to folder
    commits: int = 0
    error: str = ""
    hint: str = ""


def added_lines(
    git: Path, root: Path, ref: str, targets: list[str], folder: Path, timeout: float
) -> History:
    """Every line added by the commits in `ref..HEAD` under `targets`, or why that failed."""
    if not ref or ref.startswith("-") or any(char in ref for char in "\0\n"):
        return History(folder, error=f"devsecops_secrets_history {ref!r} is not a git ref")
    base = [str(git), "-C", str(root)]
    resolved = process.run(
        [*base, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], timeout
    )
    shallow = process.run([*base, "rev-parse", "--is-shallow-repository"], timeout)
    is_shallow = shallow.stdout.strip() == "true"
    if resolved.returncode != 0:
        why = " in this shallow clone" if is_shallow else ""
        return History(
            folder,
            error=f"the history ref {printable(ref)!r} does not exist{why}",
            hint=FETCH_HINT,
        )
    if is_shallow:
        merge_base = process.run([*base, "merge-base", "--", ref, "HEAD"], timeout)
        if merge_base.returncode != 0:
            return History(
                folder,
                error=f"this shallow clone lacks the history between {printable(ref)} and HEAD",
                hint=FETCH_HINT,
            )
    argv = [*base, "-c", "core.quotePath=false", "log", "-p", "--unified=0", "--no-color"]
    argv += [
        "--no-ext-diff",
        "--no-textconv",
        "--no-renames",
        "--diff-filter=AM",
        "--format=%x1e%H",
    ]
    argv += [f"{resolved.stdout.strip()}..HEAD", "--", *targets]
    log = process.run(argv, timeout)
    if log.timed_out or log.returncode != 0:
        return History(
            folder, error=f"git log failed for {printable(ref)}..HEAD:\n{tail(log.stderr)}"
        )
    files, commits = _write(log.stdout, folder)
    return History(folder, tuple(sorted(files)), commits)


def _write(patch: str, folder: Path) -> tuple[set[str], int]:
    """Parse `git log -p` output; write each (commit, path)'s added lines at their numbers."""
    added: dict[str, dict[int, str]] = {}
    commit, path, number = "", "", 0
    commits, in_header = 0, False
    for line in patch.split("\n"):  # not splitlines(): it splits on our \x1e marker
        head = _COMMIT.match(line)
        if head:
            commit, path, commits = head.group(1)[:7], "", commits + 1
        elif line.startswith("diff --git "):
            path, number, in_header = "", 0, True
        elif in_header and line.startswith("+++ "):
            target = line[4:]
            path = _unquote(target[2:]) if target.startswith(("b/", '"b/')) else ""
            if target.startswith('"b/'):
                path = _unquote('"' + target[3:])
        elif line.startswith("@@"):
            in_header = False
            hunk = _HUNK.match(line)
            number = int(hunk.group(1)) if hunk else 0
        elif line.startswith("+") and commit and path and number:
            added.setdefault(f"{commit}/{path}", {})[number] = line[1:]
            number += 1
    for name, lines in added.items():
        target_file = folder / name
        if ".." in Path(name).parts:
            continue  # a path git would never produce; never write outside our folder
        target_file.parent.mkdir(parents=True, exist_ok=True)
        last = max(lines)
        target_file.write_text(
            "\n".join(lines.get(index, "") for index in range(1, last + 1)) + "\n", encoding="utf-8"
        )
    return set(added), commits


def _unquote(text: str) -> str:
    """git's C-style quoting of unusual file names (core.quotePath=false keeps UTF-8 as is)."""
    if not text.startswith('"'):
        return text
    body = text.strip('"')
    raw = body.encode("latin-1", "backslashreplace").decode("unicode_escape")
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")
