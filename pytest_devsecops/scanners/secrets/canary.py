"""The secrets canary: a fake, provider-shaped token every engine must report in every run."""

from __future__ import annotations

import hashlib
import string
from pathlib import Path

from . import ds_engine, generic, trivy_engine
from .filters import dismissed
from .model import GENERIC, Candidate

CANARY_NAME = "devsecops-canary.env"
# What each engine must report on the sample (its kind after our mapping).
RULES = {"trivy": "github-pat", "ours": GENERIC, "detect-secrets": "github-pat"}
_ALPHABET = string.ascii_letters + string.digits
_TOOL = {"ours": "our generic detector"}  # engines are named as candidates name them


def _token() -> str:
    """A GitHub-token-shaped value derived from a fixed phrase at run time.

    It was never issued (its checksum does not match GitHub's), and no token-shaped literal
    sits in our source, where scanners and push protection would rightly object.
    """
    digest = hashlib.sha256(b"pytest-devsecops canary: not a credential").digest()
    digest += hashlib.sha256(digest).digest()
    return "ghp_" + "".join(_ALPHABET[byte % len(_ALPHABET)] for byte in digest[:36])


def sample() -> str:
    return f"GITHUB_TOKEN={_token()}\n"


def check(
    engines: tuple[str, ...], trivy: Path | None, workdir: Path, timeout: float
) -> tuple[str, str]:
    """('' or why the status must fail, trivy's version as its report names it).

    The sample is written to a private folder and never reaches the project's findings; the
    engines run with exactly the configuration of the real scan. It runs on every scan, even
    when every file's result comes from the cache: a broken engine is caught all the same.
    """
    folder = workdir / "canary"
    folder.mkdir(parents=True, exist_ok=True)
    text = sample()
    (folder / CANARY_NAME).write_text(text, encoding="utf-8")
    read = {CANARY_NAME: text}
    found: list[Candidate] = []
    version = ""
    if "trivy" in engines and trivy is not None:
        run = trivy_engine.run(trivy, folder, workdir / "canary-trivy", timeout)
        if run.error:
            return f"trivy failed on its canary sample: {run.error}", ""
        outcome = trivy_engine.complete(run, read, trivy, workdir / "canary-trivy", timeout)
        found += outcome.candidates
        version = run.version
    if "ours" in engines:
        found += generic.scan_text(CANARY_NAME, text)
    if "detect-secrets" in engines:
        found += ds_engine.scan(folder, read, read)
    reported = {(c.engine, c.kind) for c in found if not dismissed(c)}
    silent = [
        f"as configured, {_TOOL.get(engine, engine)} did not find its canary: {RULES[engine]}"
        for engine in engines
        if engine in RULES and (engine, RULES[engine]) not in reported
    ]
    if not silent:
        return "", version
    return "\n".join(f"{line} — the tool or its rules are broken" for line in silent), version
