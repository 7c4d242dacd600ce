"""Every regex run on untrusted text stays fast on adversarial input (no ReDoS), per rule family."""

from __future__ import annotations

import time

import pytest

from pytest_devsecops.core.redact import redact
from pytest_devsecops.dast import active, passive, signatures
from pytest_devsecops.dast.http import Response

MIB2 = 2 * 1024 * 1024
# Bodies shaped to make a backtracking pattern go quadratic: many starts, no end.
ADVERSARIAL = {
    "whitespace runs": "\n" + " \n" * (MIB2 // 2),
    "fatal errors on one line": "Fatal error: " * (MIB2 // 13),
    "java packages": "java." * (MIB2 // 5),
    "java identifier": "java." + "a" * MIB2,
    "titles": "<title>" + "x" * MIB2,
    "quotes after near": 'near "' * (MIB2 // 6),
    "passwd prefix": "root:" * (MIB2 // 5),
    "open tags": "<" + "a" * MIB2,
    "dotted quads": "10.1.1." * (MIB2 // 7),
}


def timed(action: object) -> float:
    started = time.monotonic()
    action()  # type: ignore[operator]
    return time.monotonic() - started


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_passive_rules_are_fast_on_a_hostile_2_mib_body(name: str) -> None:
    body = ADVERSARIAL[name]
    response = Response(
        "GET",
        "http://127.0.0.1/",
        500,
        (("Content-Type", "text/html"), ("Server", "x" * 100_000)),
        body,
    )
    assert timed(lambda: passive.check(response, https=False)) < 1.0


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_active_error_signatures_are_fast_on_a_hostile_2_mib_body(name: str) -> None:
    body = ADVERSARIAL[name]
    # Every error signature (SQL engines, shells, templates, XML, XPath, LDAP) together.
    assert timed(lambda: signatures.find(body)) < 1.0
    assert timed(lambda: active._PASSWD.search(body)) < 0.5


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_redaction_of_a_hostile_body_is_fast(name: str) -> None:
    assert timed(lambda: redact(ADVERSARIAL[name][:MIB2])) < 2.0


def test_anchored_search_still_finds_an_error_deep_in_a_large_body() -> None:
    # Error signatures read a bounded window of the body (signatures.WINDOW characters).
    body = "x" * (signatures.WINDOW - 200) + '<p>sqlite3.OperationalError: near "\'": syntax</p>'
    assert [match.source for match in signatures.find(body)] == ["SQLite"]
    trace = ("a" * MIB2) + "\nTraceback (most recent call last):\n"
    alerts = passive.check(Response("GET", "http://127.0.0.1/", 200, (), trace), https=False)
    assert "90022" in {alert.rule for alert in alerts}


def test_a_160_kb_source_line_is_redacted_fast() -> None:
    line = "x = '" + "password=" * 17_000 + "'"
    assert len(line) > 150_000
    assert timed(lambda: redact(line)) < 2.0  # all rules together


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_each_redaction_rule_is_fast_on_a_hostile_160_kb_line(name: str) -> None:
    from pytest_devsecops.core import redact as module

    line = ADVERSARIAL[name][:160_000]
    for pattern, _, _ in module._RULES:
        assert timed(lambda: pattern.sub("", line)) < 0.5, pattern.pattern[:50]  # noqa: B023
