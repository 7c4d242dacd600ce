"""SQL injection, compared with the original answer: error-based (confirmed by a balanced
variant), boolean-based blind, and time-based (opt-in, bounded, repeated)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from . import signatures
from .passive import Alert
from .probing import NUMBER, Baseline, Probing, normalised

SLEEP = 2.0  # seconds a time-based payload asks the database to wait


def error_based(probe: Probing) -> Iterator[Alert]:
    original = probe.point.original
    reference = probe.reference.body
    for quote in ("'", '"'):
        attack = f"{original}{quote}"
        response = probe.send(attack)
        match = signatures.attributed(response.body, reference, "sql")
        if match is None:
            continue
        # Balanced variants are valid SQL again: if one of them does not error, the quote broke
        # the statement (not merely the page's own input validation).
        balanced = [f"{original}{quote}{quote}", f"{original}{quote} AND {quote}1{quote}={quote}1"]
        if NUMBER.match(original):
            balanced = [f"{original} AND 1=1", f"{original}-0", *balanced]
        confirmed = False
        for variant in balanced:
            answer = probe.send(variant)
            if not answer.error and not signatures.new_errors(answer.body, reference):
                confirmed = True
                break
        yield probe.alert(
            response,
            "40018",
            attack,
            f"{match.source}: {match.text}",
            "High" if confirmed else "Low",
        )
        return


def _variants(original: str) -> list[tuple[str, str]]:
    """(true, false) condition pairs, for a numeric and for a quoted string context."""
    pairs = []
    if NUMBER.match(original):
        pairs += [
            (f"{original} AND 7=7", f"{original} AND 7=8"),
            (f"{original} AND 2>1", f"{original} AND 2<1"),
        ]
    for q in ("'", '"'):
        pairs.append((f"{original}{q} AND {q}7{q}={q}7", f"{original}{q} AND {q}7{q}={q}8"))
    return pairs


def boolean_blind(probe: Probing) -> Iterator[Alert]:
    original = probe.point.original
    if probe.reference.error:
        return
    again = probe.send(original)
    baseline = Baseline(normalised(probe.reference, original), normalised(again, original))
    for true, false in _variants(original):
        yes = probe.send(true)
        if yes.error or yes.status != probe.reference.status:
            continue
        if not baseline.same(normalised(yes, true, original)):
            continue
        no = probe.send(false)
        if no.error or baseline.same(normalised(no, false, original)):
            continue
        # Once more, both ways: the difference must be the condition's, not the page's mood.
        yes_again, no_again = probe.send(true), probe.send(false)
        if baseline.same(normalised(yes_again, true, original)) and baseline.same(
            normalised(no_again, false, original), normalised(no, false, original)
        ):
            yield probe.alert(
                yes,
                "40018",
                f"{true} / {false}",
                f"true condition answers like the original ({len(yes.body)} chars), "
                f"false differs ({no.status}, {len(no.body)} chars)",
                "Medium",
                other="boolean-based blind",
            )
            return


def _timed(probe: Probing, value: str) -> float:
    started = time.monotonic()
    probe.send(value)
    return time.monotonic() - started


def time_based(probe: Probing) -> Iterator[Alert]:
    if not probe.time_based:
        return
    original = probe.point.original
    base = max(_timed(probe, original), _timed(probe, original))
    if base + SLEEP * 2 > probe.client.timeout:
        return  # too slow a page to tell a delay from its own time
    templates = [
        ("MySQL", "{o} AND SLEEP({s})", "40019"),
        ("MySQL", "{o}' AND SLEEP({s}) AND '1'='1", "40019"),
        ("PostgreSQL", "{o};SELECT pg_sleep({s})--", "40022"),
        ("PostgreSQL", "{o}' AND 1=(SELECT 1 FROM pg_sleep({s}))--", "40022"),
    ]
    for engine, template, rule in templates:
        slow = template.format(o=original, s=int(SLEEP))
        if _timed(probe, slow) < base + SLEEP * 0.8:
            continue
        # A delay that follows the payload: none with sleep(0), again with sleep(n).
        quick = template.format(o=original, s=0)
        if _timed(probe, quick) > base + SLEEP * 0.5:
            continue
        if _timed(probe, slow) < base + SLEEP * 0.8:
            continue
        response = probe.send(quick)
        yield probe.alert(
            response,
            rule,
            slow,
            f"{engine} sleep({int(SLEEP)}) delayed the answer twice; sleep(0) did not "
            f"(baseline {base:.2f}s)",
            "Medium",
        )
        return


PROBES = (error_based, boolean_blind, time_based)
