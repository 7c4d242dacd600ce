"""Engine parity: our rules carry ZAP's ids, CWE and WASC, and fire under ZAP's conditions, checked
against the rule table extracted from ZAP's sources (../shared/zap/rules.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_devsecops.dast import rules
from pytest_devsecops.dast.http import Response
from pytest_devsecops.dast.passive import check

ZAP_RULES = Path(__file__).resolve().parents[2] / "shared" / "zap" / "rules.json"
# Rules ZAP ships outside the extracted table (its "beta"/"alpha" add-ons and core).
NOT_IN_TABLE = {90021, 40015, 40046, 40034, 40035, 10095, 90028}


def _table() -> dict[int, dict[str, Any]]:
    if not ZAP_RULES.is_file():
        pytest.skip("the shared ZAP rule table is not here")
    return {rule["pluginId"]: rule for rule in json.loads(ZAP_RULES.read_text())["rules"]}


@pytest.mark.parametrize("ref", sorted(rules.CATALOG))
def test_each_rule_has_zaps_identity(ref: str) -> None:
    ours = rules.CATALOG[ref]
    table = _table()
    if ours.plugin_id in NOT_IN_TABLE:
        assert ours.plugin_id not in table
        return
    zap = table[ours.plugin_id]
    refs = "/".join(alert["alertRef"] for alert in zap["alerts"])
    assert ref.split("-")[-1] in refs.replace(str(ours.plugin_id) + "-", "").split("/") or (
        ref in refs
    )
    assert (ours.cwe, ours.wasc) == (zap["cweid"], zap["wascid"])
    assert ours.active == (zap["kind"] == "active")
    # One site-wide finding only where ZAP calls the rule systemic (ZAP tags a few more; for
    # those, per-page findings keep the page in the identity).
    assert not ours.systemic or "SYSTEMIC" in zap.get("tags", ())


HTML = ("Content-Type", "text/html")
COOKIE = ("Set-Cookie", "sid=1; HttpOnly; SameSite=Lax")
SAME_ORIGIN_FORM = "<form method=post action=/save><input name=a></form>"
OFF_ORIGIN_FORM = "<form method=post action=https://dpaste.com/><input name=a></form>"
DJANGO = "You\u2019re seeing this error because you have <code>DEBUG = True</code>"

# (rule, https, headers, body, fires): the condition ZAP's rule of that id has.
CONDITIONS = [
    ("10011", False, (HTML, COOKIE), "", False),  # Secure matters over HTTPS only
    ("10011", True, (HTML, COOKIE), "", True),
    ("10035-1", False, (HTML,), "", False),  # HSTS: HTTPS responses only
    ("10035-1", True, (HTML,), "", True),
    ("10202", False, (HTML,), SAME_ORIGIN_FORM, True),
    ("10202", False, (HTML,), OFF_ORIGIN_FORM, False),  # e.g. Django's "share this traceback"
    ("10023", False, (HTML,), DJANGO, True),
    ("10023", False, (HTML,), DJANGO.replace("\u2019", "'"), True),
]


@pytest.mark.parametrize(("rule", "https", "headers", "body", "fires"), CONDITIONS)
def test_passive_rules_fire_under_zaps_conditions(
    rule: str, https: bool, headers: tuple[tuple[str, str], ...], body: str, fires: bool
) -> None:
    scheme = "https" if https else "http"
    response = Response("GET", f"{scheme}://127.0.0.1/p", 200, headers, f"<html>{body}</html>")
    assert (rule in {alert.rule for alert in check(response, https)}) == fires
