"""A negative control for the offline audit: a built-in advisory it must find, every run.

The probe record goes through the same decoding, parsing, indexing and matching as the user's
database. If an affected version is not reported (or a fixed one is), the audit's machinery is
broken and a clean result would prove nothing, so the status item fails.
"""

from __future__ import annotations

import json

from ...core.severity import Severity
from . import audit, osv_db
from .model import Dependency

PACKAGE = "pytest-devsecops-canary"
ADVISORY = "PYTEST-DEVSECOPS-CANARY-1"
_RECORD = {
    "schema_version": "1.6.0",
    "id": ADVISORY,
    "aliases": ["CVE-0000-0000"],
    "modified": "2024-01-01T00:00:00Z",
    "summary": "built-in probe advisory of pytest-devsecops (not a real vulnerability)",
    "affected": [
        {
            "package": {"name": "Pytest_DevSecOps.Canary", "ecosystem": "PyPI"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.10"}]},
            ],
            "versions": ["0.9"],
        }
    ],
}
# (version, must it match?): a range hit, a listed version, the fixed version, a later one.
_PROBES = (("1.9", True), ("0.9.0", True), ("1.10", False), ("1.10.1", False))


def check(default: Severity) -> str:
    """ "" when the probe advisory is found exactly where it must be, else what went wrong."""
    raw = json.dumps(_RECORD).encode("utf-8")
    database = osv_db.from_members("built-in probe record", [(f"{ADVISORY}.json", raw)])
    wrong = []
    for version, affected in _PROBES:
        outcome = audit.offline([Dependency(PACKAGE, version)], database, default)
        found = any(ADVISORY in match.ids for match in outcome.matches)
        if found is not affected:
            wrong.append(f"{PACKAGE}=={version} {'missed' if affected else 'wrongly matched'}")
    if not wrong:
        return ""
    return (
        f"the audit canary failed: the built-in probe advisory {ADVISORY} was "
        f"{'; '.join(wrong)}, so the offline audit cannot be trusted to find real advisories"
    )
