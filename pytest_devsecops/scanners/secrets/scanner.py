"""The `secrets` scanner: enumerate files, run the chosen engines, filter, merge, mask."""

from __future__ import annotations

import dataclasses
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ...core.finding import Coverage, Finding, ScanResult, Skipped
from ...core.redact import printable
from ..cache import FileCache
from ..interface import ScanContext
from ..missing_tool import missing_tool_result
from ..tools import find_tool
from . import canary, ds_engine, generic, history, reuse, trivy_engine
from .files import BINARY, decode, enumerate_files, load, read_text, stage
from .filters import dismissed
from .findings import build, holds, merge
from .model import Candidate

_UNREAD = "trivy did not read it (its coverage check found it missing)"
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
class _Tree:
    """The work tree's findings (cached or fresh), what it covered and what it could not."""

    scanned: list[str]
    gaps: list[Skipped]
    deliberate: tuple[Skipped, ...]
    findings: list[Finding] = dataclasses.field(default_factory=list)
    dismissed: Counter[str] = dataclasses.field(default_factory=Counter)
    error: str = ""
    trivy_version: str = ""
    binaries: list[str] = dataclasses.field(default_factory=list)  # their verdicts are cached


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
        trivy_path, versions = None, {engine: "" for engine in self.engines}
        if "trivy" in self.engines:
            lookup = find_tool("trivy", self.trivy)
            if lookup.path is None:
                return missing_tool_result(self.name, lookup, required=self.trivy_required)
            trivy_path = lookup.path
        if "detect-secrets" in self.engines:
            if not ds_engine.version():
                return ScanResult(
                    self.name, " + ".join(self.engines), "",
                    error="detect-secrets is not installed", hint=ds_engine.INSTALL_HINT,
                )  # fmt: skip
            versions["detect-secrets"] = ds_engine.version()
        git = find_tool("git").path
        requested = tuple(context.relative(path) for path in context.paths)
        missing = [
            Skipped(context.relative(p), "does not exist") for p in context.paths if not p.exists()
        ]
        key = reuse.key(self.engines, trivy_path, versions.get("detect-secrets", ""))
        cache = FileCache.open(context.cache_dir, self.name, key, read=context.cache_read)
        # The canary, trivy on the whole tree, and trivy on the files it skips by name.
        with ThreadPoolExecutor(max_workers=3) as beside:
            # The canary runs on every scan, cache or not, beside the real work.
            canary_check = beside.submit(
                canary.check, self.engines, trivy_path, context.workdir / "canary", context.timeout
            )
            # Nothing cached (a first run, --cache-clear): trivy reads the whole tree while
            # this thread lists, reads and hashes it, so a cold run costs trivy, not trivy + us.
            whole_tree = (
                beside.submit(
                    trivy_engine.run,
                    trivy_path,
                    context.root,
                    context.workdir / "tree",
                    context.timeout,
                    context.excludes,
                )
                if trivy_path is not None and not cache.stored
                else None
            )
            tree = self._tree(context, git, trivy_path, cache, whole_tree, beside)
            canary_failure, canary_trivy = canary_check.result()
        gaps = missing + tree.gaps
        errors = [tree.error] if tree.error else []
        hint = "run the command above by hand to see trivy's own error" if tree.error else ""
        if canary_failure and not tree.error:
            errors.append(canary_failure)
            hint = "check the engines' install and configuration: they missed a known secret"
        findings = tree.findings
        reasons = tree.dismissed
        commits = 0
        if self.history_ref:
            past, past_hint, commits = self._history(context, git, trivy_path)
            hint = hint or past_hint
            errors += [past.error] if past.error else []
            gaps += past.gaps
            kept = _kept(past.candidates, reasons)
            # A secret still in the files is reported there; history adds what was deleted.
            # The files' findings may come from the cache, which holds no value: compare by KDF.
            kept = [c for c in kept if not any(holds(f, c.value) for f in findings)]
            findings = findings + self._build(kept)
        if not tree.error and not canary_failure:
            # Only results of engines that proved themselves on the canary are kept for reuse.
            cache.save(tree.scanned + tree.binaries)
        if trivy_path is not None:
            versions["trivy"] = tree.trivy_version or canary_trivy
        notes = [
            f"{count} look-alike(s) dismissed: {why}" for why, count in sorted(reasons.items())
        ]
        if self.history_ref and not errors:
            notes.append(
                f"history {printable(self.history_ref)}..HEAD: {commits} commit(s) scanned"
            )
        notes += cache.notes
        if cache.enabled:
            notes.append(f"{cache.hits} of {len(tree.scanned)} files from the result cache")
        return ScanResult(
            self.name,
            # One name for the engines that ran, each with its version: "trivy 0.76.0 + ours".
            " + ".join(f"{name} {version}".strip() for name, version in versions.items()),
            "",
            tuple(findings),
            Coverage(requested, tuple(tree.scanned), tuple(gaps) + tree.deliberate),
            error="\n".join(errors),
            hint=hint if errors else "",
            notes=tuple(notes),
            duration=time.monotonic() - started,
        )

    def _tree(
        self,
        context: ScanContext,
        git: Path | None,
        trivy: Path | None,
        cache: FileCache,
        whole_tree: Future[trivy_engine.TrivyRun] | None,
        beside: ThreadPoolExecutor,
    ) -> _Tree:
        """The work tree: unchanged files from the cache, the others through the engines.

        trivy reads either the whole tree (`whole_tree`, started when nothing was cached) or
        only the changed files, staged at their relative paths; with none changed it is not
        started at all. Each file's findings are built (masked, KDF-identified) before they
        are cached: the cache never sees a candidate, which holds the plaintext value.
        """
        listed = enumerate_files(context, git, cache.known_digest if cache.stored else None)
        contents = listed.contents
        result = _Tree(
            scanned=list(listed.files),
            gaps=[s for s in listed.skipped if not s.deliberate],
            deliberate=tuple(s for s in listed.skipped if s.deliberate),
        )
        # Binary verdicts are kept too, so an unchanged binary is not opened again next time.
        result.binaries = listed.binaries_known + listed.binaries_found
        for name in listed.binaries_known:
            cache.keep(name)
        for name in listed.binaries_found:
            cache.put(name, BINARY, None, listed.signatures.get(name))
        digests = {name: cache.digest(data) for name, data in contents.items()}
        digests.update(listed.known)
        signatures = listed.signatures
        per_file: dict[str, list[Finding]] = {}
        fresh: dict[str, str] = {}
        for name in listed.files:
            stored = None
            if cache.stored:
                stored = reuse.unpack(cache.get(name, digests[name], signatures.get(name)))
            if stored is not None:
                per_file[name], dismissed_here = stored
                result.dismissed.update(dismissed_here)
                continue
            if name not in contents:  # known by its stat, but its entry is unusable: read it
                data, reason, deliberate = load(listed, name, str(context.root / name))
                if data is None:
                    result.scanned.remove(name)
                    skip = Skipped(printable(name), reason or "cannot be read", deliberate)
                    if deliberate:
                        result.deliberate += (skip,)
                    else:
                        result.gaps.append(skip)
                    continue
                contents[name] = data
                digests[name] = cache.digest(data)
            fresh[name] = decode(contents[name])
        early: Future[trivy_engine.Renamed] | None = None
        if trivy is not None and whole_tree is not None:
            # The files trivy skips by name get their own run: started now, beside the first
            # one, instead of after it (its start-up was a third of a cold scan of Django).
            skipped = [n for n in trivy_engine.expected(fresh) if trivy_engine.likely_unread(n)]
            if skipped:
                early = beside.submit(
                    trivy_engine.renamed_run,
                    trivy,
                    fresh,
                    skipped,
                    context.workdir / "early",
                    context.timeout,
                )
        candidates: list[Candidate] = []
        for name, text in fresh.items():
            candidates += scan_file(name, text, self.engines)
        unread: set[str] = set()
        if trivy is not None and (fresh or whole_tree is not None):
            work = context.workdir / "tree"
            if whole_tree is not None:
                first = whole_tree.result()
            else:
                staged = context.workdir / "changed"
                stage(staged, {name: contents[name] for name in fresh})
                first = trivy_engine.run(trivy, staged, work, context.timeout, context.excludes)
            outcome = trivy_engine.complete(
                first, fresh, trivy, work, context.timeout, early.result() if early else None
            )
            if outcome.error:
                result.error = outcome.error
            else:
                candidates += outcome.candidates
                result.trivy_version = outcome.version
                unread = {n for n in trivy_engine.expected(fresh) if n not in outcome.scanned}
                result.gaps += [Skipped(printable(n), _UNREAD) for n in sorted(unread)]
        if "detect-secrets" in self.engines and fresh and not result.error:
            candidates += ds_engine.scan(context.root, fresh, fresh)
        dismissed_by_file: dict[str, Counter[str]] = {name: Counter() for name in fresh}
        kept = []
        for candidate in candidates:
            reason = dismissed(candidate)
            if reason:
                dismissed_by_file.setdefault(candidate.path, Counter())[reason] += 1
            else:
                kept.append(candidate)
        for finding in self._build(kept):
            per_file.setdefault(finding.location.path, []).append(finding)
        for name in fresh:
            result.dismissed.update(dismissed_by_file[name])
            if not result.error and name not in unread:
                cache.put(
                    name,
                    digests[name],
                    reuse.entry(per_file.get(name, []), dismissed_by_file[name]),
                    signatures.get(name),
                )
        # The order of a scan without the cache: by file, then as merged within the file.
        result.findings = [f for name in sorted(per_file) for f in per_file[name]]
        return result

    def _build(self, candidates: list[Candidate]) -> list[Finding]:
        # scrypt releases the GIL: derive the findings' identities on every core.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            return list(pool.map(lambda group: build(group, self.name), merge(candidates)))

    def _pass(
        self,
        root: Path,
        load: Callable[[], tuple[dict[str, str], list[Skipped]]],
        trivy: Path | None,
        workdir: Path,
        timeout: float,
        skip_dirs: tuple[str, ...] = (),
    ) -> _Pass:
        """The history pass (never cached): trivy runs on `root` while this thread reads it."""
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


def _kept(candidates: list[Candidate], reasons: Counter[str]) -> list[Candidate]:
    """The candidates no filter dismisses; each dismissal is counted in `reasons`."""
    kept = []
    for candidate in candidates:
        reason = dismissed(candidate)
        if reason:
            reasons[reason] += 1
        else:
            kept.append(candidate)
    return kept


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
