"""The canary: a known-bad sample bandit scans in every run, to prove it can still find things.

If bandit, as configured, reports none of it, the configuration (or the install) has made bandit
blind, and a clean result would prove nothing. Its findings are removed before anyone sees them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CANARY_NAME = "devsecops_canary_sample.py"
CANARY = """\
import hashlib, subprocess, yaml
PASSWORD = "canary-password"
assert PASSWORD
exec(PASSWORD)
eval(PASSWORD)
hashlib.md5(b"canary")
yaml.load(PASSWORD)
subprocess.call(PASSWORD, shell=True)
QUERY = "SELECT * FROM t WHERE a = '%s'" % PASSWORD
"""
CANARY_RULES = ("B101", "B102", "B105", "B307", "B324", "B506", "B602", "B608")


def plant(folder: Path) -> Path:
    """Write the sample into `folder` (a fresh per-run folder) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    sample = folder / CANARY_NAME
    sample.write_text(CANARY, encoding="utf-8")
    return sample


def take(data: dict[str, Any]) -> tuple[dict[str, Any], set[str], str]:
    """The report without the canary, the canary rules bandit reported, and a note on the rest."""

    def is_canary(name: object) -> bool:
        return str(name).endswith("/" + CANARY_NAME)

    found = {str(r["test_id"]) for r in data["results"] if is_canary(r["filename"])}
    cleaned = {
        "results": [r for r in data["results"] if not is_canary(r["filename"])],
        "errors": [e for e in data["errors"] if not is_canary(e["filename"])],
        "metrics": {k: v for k, v in data["metrics"].items() if not is_canary(k)},
    }
    silent = [rule for rule in CANARY_RULES if rule not in found]
    note = (
        f"bandit, as configured, does not report: {', '.join(silent)}" if found and silent else ""
    )
    return cleaned, found & set(CANARY_RULES), note
