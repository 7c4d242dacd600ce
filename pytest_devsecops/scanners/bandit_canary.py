"""The canary: a known-bad sample bandit scans in every run, to prove it can still find things.

Every rule of the sample must be reported: a rule that stays silent (skipped by a config, tuned
away, or missing from a broken install) fails the status unless the user allowed it to be off.
Its findings are removed before anyone sees them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CANARY_NAME = "devsecops_canary_sample.py"
CANARY = """\
import hashlib
import pickle
import subprocess

import flask
import jinja2
import requests
import yaml

PASSWORD = "canary-password"
assert PASSWORD
exec(PASSWORD)
eval(PASSWORD)
hashlib.md5(b"canary")
pickle.loads(PASSWORD)
yaml.load(PASSWORD)
requests.get(PASSWORD, verify=False)
subprocess.call(PASSWORD, shell=True)
QUERY = "SELECT * FROM t WHERE a = '%s'" % PASSWORD
flask.Flask(__name__).run(debug=True)
jinja2.Environment(autoescape=False)
"""
# At least one rule of every family: misc (B1xx), frameworks (B2xx), blacklisted calls (B3xx)
# and imports (B4xx), crypto/TLS (B5xx), injection (B6xx), templates (B7xx).
CANARY_RULES = (
    "B101", "B102", "B105", "B113", "B201", "B301", "B307", "B324", "B403", "B404",
    "B501", "B506", "B602", "B608", "B701",
)  # fmt: skip


def plant(folder: Path) -> Path:
    """Write the sample into `folder` (a fresh per-run folder) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    sample = folder / CANARY_NAME
    sample.write_text(CANARY, encoding="utf-8")
    return sample


def is_canary(name: object) -> bool:
    return str(name).endswith("/" + CANARY_NAME)


def take(data: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """The report without the canary, and the canary rules bandit reported."""
    found = {str(r["test_id"]) for r in data["results"] if is_canary(r["filename"])}
    cleaned = {
        "results": [r for r in data["results"] if not is_canary(r["filename"])],
        "errors": [e for e in data["errors"] if not is_canary(e["filename"])],
        "metrics": {k: v for k, v in data["metrics"].items() if not is_canary(k)},
    }
    return cleaned, frozenset(found & set(CANARY_RULES))


def silent_rules(found: frozenset[str], allowed: frozenset[str]) -> list[str]:
    """Canary rules bandit did not report although nobody allowed them to be off."""
    return [rule for rule in CANARY_RULES if rule not in found and rule not in allowed]
