"""A candidate secret as an engine saw it (value in memory only), and what each kind means."""

from __future__ import annotations

import dataclasses
import re

from ...core.severity import Severity


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One engine's hit. `value` is the plaintext: it never leaves this package unmasked."""

    engine: str
    engine_rule: str
    kind: str
    path: str
    line: int
    value: str = dataclasses.field(repr=False)
    line_text: str = dataclasses.field(repr=False)
    commit: str = ""  # short sha for a hit in the history, "" for the work tree
    title: str = ""  # the engine's own name for the kind, when it has one

    def __repr__(self) -> str:  # never show the value, even in a debugger or a traceback
        return f"Candidate({self.engine}:{self.engine_rule} {self.path}:{self.line})"


GENERIC = "generic-secret"
URL_CREDENTIALS = "url-credentials"
PRIVATE_KEY = "private-key"
HIGH_ENTROPY = "high-entropy-string"

# detect-secrets' types, on the rule names trivy uses for the same kinds (one identity for both).
DETECT_SECRETS_KINDS = {
    "AWS Access Key": "aws-access-key-id",
    "GitHub Token": "github-pat",
    "GitLab Token": "gitlab-pat",
    "Slack Token": "slack-access-token",
    "Stripe Access Key": "stripe-secret-token",
    "Private Key": PRIVATE_KEY,
    "Secret Keyword": GENERIC,
    "Basic Auth Credentials": URL_CREDENTIALS,
    "Base64 High Entropy String": HIGH_ENTROPY,
    "Hex High Entropy String": HIGH_ENTROPY,
}

_TITLES = {
    GENERIC: "hard-coded password, secret or token",
    URL_CREDENTIALS: "credentials in a URL",
    PRIVATE_KEY: "private key",
    HIGH_ENTROPY: "high-entropy string that may be a secret",
    "aws-access-key-id": "AWS access key ID",
    "github-pat": "GitHub personal access token",
    "slack-access-token": "Slack token",
    "stripe-secret-token": "Stripe secret key",
}

# Prefixes that name a token's kind and are public (documented by the vendor): safe to show.
_PUBLIC_PREFIX = re.compile(
    r"^(AKIA|ASIA|A3T[A-Z0-9]|gh[pousr]_|github_pat_|glpat-|xox[abposr]-|xapp-|"
    r"[sr]k_(?:live|test)_|pk_(?:live|test)_|AIza|SG\.|sq0atp-|shpat_|npm_|pypi-|hf_)"
)


def severity_of(kind: str) -> Severity:
    """Provider keys and private keys are critical, generic passwords high, entropy medium."""
    if kind in (GENERIC, URL_CREDENTIALS):
        return Severity.HIGH
    if kind == HIGH_ENTROPY:
        return Severity.MEDIUM
    return Severity.CRITICAL


def specificity(kind: str) -> int:
    """Which kind names a merged finding: a provider rule beats the generic ones."""
    return {HIGH_ENTROPY: 0, GENERIC: 1, URL_CREDENTIALS: 2}.get(kind, 3)


def title_of(kind: str, engine_title: str = "") -> str:
    if kind in _TITLES:
        return _TITLES[kind]
    return engine_title or kind.replace("-", " ")


def public_prefix(value: str) -> str:
    match = _PUBLIC_PREFIX.match(value)
    return match.group(1) if match else ""


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "secret"
