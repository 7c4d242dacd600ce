"""The `secrets` scanner: enumerate files, run the chosen engines, filter, merge, mask."""

from __future__ import annotations

import dataclasses
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ...core.finding import Coverage, ScanResult, Skipped
from ...core.redact import printable
from ..interface import ScanContext
from ..missing_tool import missing_tool_result
from ..tools import find_tool
from . import canary, ds_engine, generic, history, trivy_engine
from .files import FileSet, enumerate_files, read_text
from .filters import dismissed
from .findings import build, merge
from .model import Candidate

ENGINES = {
    "auto": ("trivy", "ours"),
    "trivy": ("trivy",),
    "detect-secrets": ("detect-secrets",),
    "all": ("trivy", "ours", "detect-secrets"),
}


def scan_file(relative: str, text: str, engines: tuple[str, ...]) -> list[Candidate]:
    """The per-file engines (ours) on one file's text: the seam for a content-hash cache."""
    return generic.scan_text(relative, text) if "ours" in engines else []


@dataclasses.dataclass
class _Pass:
    """What one pass (the work tree, or the history) produced."""

    candidates: list[Candidate]
    gaps: list[Skipped]
    error: str = ""
    trivy_version: str = ""
    texts: dict[str, str] = dataclasses.field(default_factory=dict)


class SecretsScanner:
    """Secrets in the project's files (and optionally its recent history), as findings."""

    name = "secrets"

    def __init__(
        self,
        *,
        engine: str = "auto",
        trivy: Path | None = None,
        history_ref: str = "",
        trivy_required: bool = False,
    ) -> None:
        self.engines = ENGINES[engine]
        self.trivy = trivy
        self.history_ref = history_ref
        self.trivy_required = trivy_required

    def scan(self, context: ScanContext) -> ScanResult:
        started = time.monotonic()
        tool = " + ".join(self.engines)
        trivy_path, versions = None, {engine: "" for engine in self.engines}
        if "trivy" in self.engines:
            lookup = find_tool("trivy", self.trivy)
            if lookup.path is None:
                return missing_tool_result(self.name, lookup, required=self.trivy_required)
            trivy_path = lookup.path
        if "detect-secrets" in self.engines:
            if not ds_engine.version():
                return ScanResult(
                    self.name, tool, "", error="detect-secrets is not installed",
                    hint=ds_engine.INSTALL_HINT,
                )  # fmt: skip
            versions["detect-secrets"] = ds_engine.version()
        git = find_tool("git").path
        requested = tuple(context.relative(path) for path in context.paths)
        missing = [
            Skipped(context.relative(p), "does not exist") for p in context.paths if not p.exists()
        ]
        fileset: list[FileSet] = []

        def load() -> tuple[dict[str, str], list[Skipped]]:
            listed = enumerate_files(context, git)
            fileset.append(listed)
            texts, unreadable = _read_all(context.root, listed.files)
            return texts, [s for s in listed.skipped if not s.deliberate] + unreadable

        with ThreadPoolExecutor(max_workers=1) as beside:
            # The canary's engines run beside the real pass: its trivy costs no extra wait.
            canary_check = beside.submit(
                canary.check, self.engines, trivy_path, context.workdir / "canary", context.timeout
            )
            tree = self._pass(
                context.root, load, trivy_path, context.workdir / "tree", context.timeout,
                skip_dirs=context.excludes,
            )  # fmt: skip
            canary_failure = canary_check.result()
        texts = tree.texts
        gaps = missing + tree.gaps
        errors = [tree.error] if tree.error else []
        candidates = tree.candidates
        hint = "run the command above by hand to see trivy's own error" if tree.error else ""
        if canary_failure and not tree.error:
            errors.append(canary_failure)
            hint = "check the engines' install and configuration: they missed a known secret"
        commits = 0
        if self.history_ref:
            past, past_hint, commits = self._history(context, git, trivy_path)
            hint = hint or past_hint
            errors += [past.error] if past.error else []
            gaps += past.gaps
            current = {c.value for c in candidates}
            # A secret still in the files is reported there; history adds what was deleted.
            candidates += [c for c in past.candidates if c.value not in current]
        if trivy_path is not None:
            versions["trivy"] = tree.trivy_version
        kept, reasons = [], Counter[str]()
        for candidate in candidates:
            reason = dismissed(candidate)
            if reason:
                reasons[reason] += 1
            else:
                kept.append(candidate)
        # scrypt releases the GIL: derive the findings' identities on every core.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            findings = tuple(pool.map(lambda group: build(group, self.name), merge(kept)))
        notes = [
            f"{count} look-alike(s) dismissed: {why}" for why, count in sorted(reasons.items())
        ]
        if self.history_ref and not errors:
            notes.append(
                f"history {printable(self.history_ref)}..HEAD: {commits} commit(s) scanned"
            )
        deliberate = tuple(skip for skip in fileset[0].skipped if skip.deliberate)
        return ScanResult(
            self.name,
            # One name for the engines that ran, each with its version: "trivy 0.76.0 + ours".
            " + ".join(f"{name} {version}".strip() for name, version in versions.items()),
            "",
            findings,
            Coverage(requested, tuple(sorted(texts)), tuple(gaps) + deliberate),
            error="\n".join(errors),
            hint=hint if errors else "",
            notes=tuple(notes),
            duration=time.monotonic() - started,
        )

    def _pass(
        self,
        root: Path,
        load: Callable[[], tuple[dict[str, str], list[Skipped]]],
        trivy: Path | None,
        workdir: Path,
        timeout: float,
        skip_dirs: tuple[str, ...] = (),
    ) -> _Pass:
        """trivy (a child process) runs on `root` while this thread lists, reads and scans."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = (
                pool.submit(trivy_engine.run, trivy, root, workdir, timeout, skip_dirs)
                if trivy is not None
                else None
            )
            texts, gaps = load()
            candidates: list[Candidate] = []
            for relative, text in texts.items():
                candidates += scan_file(relative, text, self.engines)
            first = pending.result() if pending is not None else None
        result = _Pass(candidates, gaps, texts=texts)
        if trivy is not None and first is not None:
            outcome = trivy_engine.complete(first, texts, trivy, workdir, timeout)
            if outcome.error:
                result.error = outcome.error
                return result
            result.candidates += outcome.candidates
            result.trivy_version = outcome.version
            result.gaps += [
                Skipped(
                    printable(name), "trivy did not read it (its coverage check found it missing)"
                )
                for name in sorted(trivy_engine.expected(texts))
                if name not in outcome.scanned
            ]
        if "detect-secrets" in self.engines:
            result.candidates += ds_engine.scan(root, texts, texts)
        return result

    def _history(
        self, context: ScanContext, git: Path | None, trivy: Path | None
    ) -> tuple[_Pass, str, int]:
        if git is None:
            lookup = find_tool("git")
            return (
                _Pass([], [], f"devsecops_secrets_history needs git: {lookup.problem}"),
                lookup.hint,
                0,
            )
        folder = context.workdir / "history"
        targets = [context.relative(path) for path in context.paths if path.exists()]
        past = history.added_lines(
            git, context.root, self.history_ref, targets, folder, context.timeout
        )
        if past.error:
            return _Pass([], [], past.error), past.hint, 0
        result = self._pass(
            folder,
            lambda: _read_all(folder, past.files),
            trivy,
            context.workdir / "history-trivy",
            context.timeout,
        )
        result.candidates = [_from_history(c) for c in result.candidates]
        result.gaps = [dataclasses.replace(g, target=f"history {g.target}") for g in result.gaps]
        return result, "", past.commits


def _read_all(root: Path, names: Iterable[str]) -> tuple[dict[str, str], list[Skipped]]:
    """Each file's text, and each file that cannot be read (a gap: the status item fails)."""
    texts, unreadable = {}, []
    for name in names:
        try:
            texts[name] = read_text(root / name)
        except OSError as exc:
            unreadable.append(Skipped(printable(name), f"cannot be read: {exc.strerror or exc}"))
    return texts, unreadable


def _from_history(candidate: Candidate) -> Candidate:
    commit, _, path = candidate.path.partition("/")
    return dataclasses.replace(candidate, commit=commit, path=path)
