"""Signed commits: every commit in the configured range must carry a good, trusted signature."""

from __future__ import annotations

import dataclasses
import os
import re
import time
from pathlib import Path

from ..core.finding import Coverage, Finding, Location, ScanResult
from ..core.redact import printable, redact, tail
from ..core.severity import Severity
from . import process
from .interface import ScanContext
from .tools import find_tool

_RANGE = re.compile(r"^(?P<base>[^\s.-][^\s]*?)\.\.(?P<head>[^\s.-][^\s]*)$")
# What decides the verdict comes first; free text last, so a stray separator in a name or a
# subject can only garble what is shown, never the sha or the signature status.
_FIELDS = ("%H", "%G?", "%GK", "%aI", "%GS", "%an <%ae>", "%s")
_UNIT = "\x1f"

# git's %G? letters: what each means for us (rule, why, severity). G is the only pass.
_VERDICTS = {
    "N": ("unsigned", "the commit carries no signature", Severity.HIGH),
    "B": ("bad-signature", "the signature does not match the commit", Severity.CRITICAL),
    "U": (
        "untrusted-signer",
        "the signature is good, but its key is not in the allowed signers file "
        "(or, for GPG, not trusted)",
        Severity.HIGH,
    ),
    "X": ("untrusted-signer", "the signature has expired", Severity.HIGH),
    "Y": ("untrusted-signer", "the signing key has expired", Severity.HIGH),
    "R": ("untrusted-signer", "the signing key has been revoked", Severity.HIGH),
    "E": (
        "untrusted-signer",
        "the signature cannot be checked (missing key or verification tool)",
        Severity.HIGH,
    ),
}
_FIXES = {
    "unsigned": (
        "sign the commit (set up signing: git config gpg.format ssh; git config user.signingkey "
        "~/.ssh/id_ed25519.pub; then re-sign the branch: git rebase --exec "
        "'git commit --amend --no-edit -S' BASE) and push it again"
    ),
    "bad-signature": (
        "treat the commit as tampered with: find out where it came from before anything else, "
        "then re-create and sign it"
    ),
    "untrusted-signer": (
        "re-sign it with a key in the allowed signers file, or add the signer's key to that "
        "file in a reviewed change"
    ),
}


@dataclasses.dataclass(frozen=True)
class _Git:
    tool: str
    root: Path
    timeout: float

    def run(self, *args: str) -> process.ProcessOutcome:
        env = process.child_environment({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
        if "GNUPGHOME" in os.environ:  # GPG signatures are checked against the user's keyring
            env["GNUPGHOME"] = os.environ["GNUPGHOME"]
        return process.run([self.tool, "-C", str(self.root), *args], self.timeout, env=env)


class CommitsScanner:
    """`git log` with signature checks over `devsecops_commit_range`."""

    name = "commits"

    def __init__(self, *, commit_range: str, allowed_signers: Path | None = None) -> None:
        self.commit_range = commit_range.strip()
        self.allowed_signers = allowed_signers

    def scan(self, context: ScanContext) -> ScanResult:
        started = time.monotonic()
        lookup = find_tool("git")
        if lookup.path is None:
            return self._error("", lookup.problem, lookup.hint)
        git = _Git(str(lookup.path), context.root, context.timeout)
        version = git.run("--version").stdout.strip().removeprefix("git version ")
        match = _RANGE.match(self.commit_range)
        if match is None:
            return self._error(
                version,
                f"devsecops_commit_range = {self.commit_range!r} is not a BASE..HEAD range",
                "set it to e.g. origin/main..HEAD (in CI: origin/${{ github.base_ref }}..HEAD)",
            )
        signers = self.allowed_signers
        if signers is not None and not signers.is_file():
            return self._error(
                version,
                f"the allowed signers file {context.relative(signers)} does not exist",
                "point devsecops_allowed_signers at a git allowed-signers file "
                '(one line per key: `email namespaces="git" ssh-ed25519 AAAA...`)',
            )
        if signers is None:
            # No trusted SSH keys: SSH signatures are reported as untrusted, never as unsigned.
            signers = context.workdir / "no-allowed-signers"
            signers.write_text("", encoding="utf-8")
        base, head, problem, hint = _resolve(git, match["base"], match["head"])
        if problem:
            return self._error(version, problem, hint)
        listing = git.run(
            "-c",
            f"gpg.ssh.allowedSignersFile={signers}",
            "-c",
            "log.showSignature=false",
            "log",
            "-z",  # NUL between commits: no subject can contain one
            f"--format={_UNIT.join(_FIELDS)}",
            f"{base}..{head}",
            "--",
        )
        if listing.returncode != 0 or listing.timed_out or listing.start_error:
            return self._error(
                version,
                f"git log failed: {listing.start_error or tail(listing.stderr)}",
                "run git log on the range by hand",
            )
        shas, findings = [], []
        records = [record for record in listing.stdout.split("\0") if record.strip()]
        for record in records:
            fields = record.strip("\n").split(_UNIT, len(_FIELDS) - 1)
            if len(fields) != len(_FIELDS):
                # A name or subject carrying our separator: fail closed, never skip a commit.
                return self._error(
                    version,
                    f"could not read the metadata of commit {printable(record[:40])}",
                    "run git log on the range by hand",
                )
            shas.append(fields[0][:12])
            finding = _finding(fields, context.relative(signers), self.allowed_signers is None)
            if finding is not None:
                findings.append(finding)
        counted = git.run("rev-list", "--count", f"{base}..{head}", "--").stdout.strip()
        if counted != str(len(shas)):
            return self._error(
                version,
                f"git log listed {len(shas)} commits where git rev-list counts {counted or '?'}",
                "run git log on the range by hand",
            )
        note = f"range {self.commit_range} = {base[:12]}..{head[:12]}"
        return ScanResult(
            self.name,
            "git",
            version,
            tuple(findings),
            Coverage(tuple(shas), tuple(shas), unit="commits"),
            notes=(note,),
            duration=time.monotonic() - started,
        )

    def _error(self, version: str, error: str, hint: str) -> ScanResult:
        return ScanResult(
            self.name, "git", version, coverage=Coverage(unit="commits"), error=error, hint=hint
        )


def _resolve(git: _Git, base: str, head: str) -> tuple[str, str, str, str]:
    """Both ends as full commit ids, or the problem and its fix (a shallow clone, a typo)."""
    shallow = git.run("rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    resolved = []
    for rev in (base, head):
        outcome = git.run(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
        )
        if outcome.returncode != 0 or not outcome.stdout.strip():
            if outcome.start_error or "not a git repository" in outcome.stderr:
                return "", "", f"{git.root} is not inside a git repository", "run from a clone"
            problem = f"{rev!r} of the commit range {base}..{head} does not resolve to a commit"
            if shallow:
                return "", "", problem + " (this is a shallow clone)", _UNSHALLOW
            remote, _, branch = rev.partition("/")
            fetch = f"git fetch {remote} {branch}" if branch else f"git rev-parse {rev}"
            return "", "", problem, f"check it ({fetch}), or fix devsecops_commit_range"
        resolved.append(outcome.stdout.strip())
    if shallow:
        common = git.run("merge-base", "--end-of-options", *resolved)
        if common.returncode != 0:
            return (
                "",
                "",
                f"this shallow clone lacks the history between {base} and {head}",
                _UNSHALLOW,
            )
    return resolved[0], resolved[1], "", ""


_UNSHALLOW = (
    "fetch the whole history: `git fetch --unshallow`, or in GitHub Actions "
    "`actions/checkout` with `fetch-depth: 0`"
)


def _finding(fields: list[str], signers: str, no_signers: bool) -> Finding | None:
    sha, status, key, date, signer, author, subject = fields
    if status == "G":
        return None
    rule, why, severity = _VERDICTS.get(status, _VERDICTS["E"])
    if status == "U" and no_signers:
        why += "; devsecops_allowed_signers is not set, so no SSH key is trusted"
    subject = printable(redact(subject))
    details = [
        ("commit", sha),
        ("author", printable(author)),
        ("date", date),
        ("subject", subject),
        ("signature", f"{why} (git %G? = {status})"),
    ]
    if signer or key:
        details.append(("signed by", printable(" ".join(part for part in (signer, key) if part))))
    if rule == "untrusted-signer" and not no_signers:
        details.append(("allowed signers", signers))
    return Finding(
        scanner="commits",
        rule=rule,
        title=f"commit {sha[:12]} {_TITLES[rule]}: {subject}",
        severity=severity,
        location=Location(path="."),
        identity=sha,
        remediation=_FIXES[rule],
        label=sha[:7],
        details=tuple(details),
    )


_TITLES = {
    "unsigned": "is not signed",
    "bad-signature": "has a bad signature",
    "untrusted-signer": "is not signed by a trusted key",
}
