"""Real git repositories with SSH-signed, unsigned and tampered commits, for the commits tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

GIT = shutil.which("git") or "git"
SSH_KEYGEN = shutil.which("ssh-keygen") or "ssh-keygen"
ENV = {
    "PATH": os.environ.get("PATH", ""),
    "HOME": "/nonexistent",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "LC_ALL": "C",
}


def keypair(folder: Path, name: str) -> Path:
    """An ed25519 key made by ssh-keygen; returns the public key's path."""
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / name
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
        check=True,
        env=ENV,
    )
    return key.with_name(f"{name}.pub")


def allowed_signers(path: Path, *signers: tuple[str, Path]) -> Path:
    lines = [f'{email} namespaces="git" {key.read_text().strip()}' for email, key in signers]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(
        [GIT, "-C", str(repo), *args], check=True, capture_output=True, env=ENV, input=stdin
    )
    return done.stdout.decode().strip()


def init(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "base")
    return repo


def commit(repo: Path, subject: str, key: Path | None = None) -> str:
    """Commit a new file; signed with `key` (an SSH public key path) when given."""
    (repo / f"{subject.replace(' ', '_')}.txt").write_text(subject, encoding="utf-8")
    git(repo, "add", "-A")
    identity = ["-c", "user.name=Alice", "-c", "user.email=alice@example.com"]
    if key is not None:
        identity += ["-c", "gpg.format=ssh", "-c", f"user.signingkey={key}"]
    git(repo, *identity, "commit", "-q", *(["-S"] if key else []), "-m", subject)
    return git(repo, "rev-parse", "HEAD")


def tamper_with_head(repo: Path) -> str:
    """Rewrite HEAD's message but keep its signature: git must call that a bad signature."""
    raw = subprocess.run(
        [GIT, "-C", str(repo), "cat-file", "commit", "HEAD"],
        check=True,
        capture_output=True,
        env=ENV,
    ).stdout
    # The signature block sits in the header; the message is after the last blank line.
    head, _, message = raw.rpartition(b"\n\n")
    forged = head + b"\n\nforged " + message
    sha = git(repo, "hash-object", "-t", "commit", "-w", "--stdin", stdin=forged)
    git(repo, "update-ref", "refs/heads/main", sha)
    return sha
