"""What to do about each zizmor audit, in one line (zizmor's own page has the details)."""

from __future__ import annotations

_ADVICE = {
    "template-injection": (
        'Pass the expression through `env:` and use the shell variable ("$TITLE"), never '
        "`${{ … }}` inside `run:` or a script."
    ),
    "unpinned-uses": (
        "Pin the action to a full commit sha (`uses: owner/action@<40-hex sha> # vX.Y.Z`)."
    ),
    "dangerous-triggers": (
        "Use `pull_request` (read-only token, no secrets); if `pull_request_target` is needed, "
        "never check out or run the pull request's code in it."
    ),
    "excessive-permissions": (
        "Set `permissions: {}` at the top and grant each job only what it needs "
        "(e.g. `contents: read`)."
    ),
    "artipacked": "Set `persist-credentials: false` on actions/checkout.",
    "cache-poisoning": "Do not restore caches in workflows that publish or release artifacts.",
    "github-env": "Do not write untrusted data to GITHUB_ENV or GITHUB_PATH.",
    "insecure-commands": "Remove ACTIONS_ALLOW_UNSECURE_COMMANDS; use GITHUB_ENV/GITHUB_PATH.",
    "hardcoded-container-credentials": "Read registry credentials from secrets, not the file.",
    "self-hosted-runner": "Run untrusted workflows on ephemeral GitHub-hosted runners.",
    "overprovisioned-secrets": "Reference single secrets (`secrets.NAME`), not `toJSON(secrets)`.",
    "unredacted-secrets": "Do not derive values from secrets (fromJSON etc.); they escape masking.",
    "bot-conditions": "Check `github.event.pull_request.user.login`, not `github.actor`.",
    "secrets-inherit": "Pass the secrets the called workflow needs explicitly, not `inherit`.",
}


def advice_for(audit: str, url: str) -> str:
    """The one-line fix for `audit`, or a pointer to its documentation."""
    return _ADVICE.get(audit, f"see {url}" if url else "")
