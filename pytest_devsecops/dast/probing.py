"""What every active probe shares: the insertion point, its reference answer (the original value's
response), a fresh CSRF token for each request, and alerts that say where the input was."""

from __future__ import annotations

import dataclasses
import functools
import re
import secrets
from urllib.parse import urlsplit

from . import html
from .auth import Session
from .http import HttpClient, Response
from .oob import Listener
from .passive import Alert
from .points import CSRF_NAMES, InsertionPoint

_COMPARED = 20_000  # characters of two bodies compared: bounded work per comparison


@dataclasses.dataclass
class Probing:
    """One insertion point under test."""

    client: HttpClient
    point: InsertionPoint
    time_based: bool = False
    listener: Listener | None = None  # the out-of-band listener (SSRF), when one runs
    session: Session | None = None  # an authenticated scan's session, kept alive while probing
    found: set[str] = dataclasses.field(default_factory=set)  # rules already proven here

    @functools.cached_property
    def reference(self) -> Response:
        """The answer to the original value: a tell-tale counts only if it is absent here."""
        return self.send(self.point.original)

    def send(self, value: str, follow: bool = True) -> Response:
        response = self.point.send(self.client, value, follow, self._fresh_fields())
        if self.session is not None and self.session.lost(response):
            # Logged out (by a payload, or the session expired): every later probe would only
            # see the login page. Log in again and ask once more; if the same request still
            # shows the login page, the probe itself logs out, and that answer is the result.
            self.session.login()
            response = self.point.send(self.client, value, follow, self._fresh_fields())
        return response

    def decoy(self) -> Response:
        """The answer to a harmless random value (for rules that look for a reflection)."""
        return self.send(f"{self.point.original}{secrets.token_hex(4)}")

    def alert(
        self,
        response: Response,
        rule: str,
        attack: str,
        evidence: str,
        confidence: str = "Medium",
        other: str = "",
    ) -> Alert:
        return Alert(
            rule=rule,
            method=self.point.method,
            # A path input's attack is in the URL: the finding keeps the page's own URL.
            url=self.point.url if self.point.where == "path" else response.url,
            param=self.point.label,
            attack=attack,
            evidence=evidence[:200],
            confidence=confidence,
            other=other,
        )

    def _fresh_fields(self) -> tuple[tuple[str, str], ...] | None:
        """The form's fields with the CSRF token the source page carries now (tokens are often
        single-use or bound to the session: a stale one gets every probe refused)."""
        point = self.point
        if point.where != "form" or not point.source:
            return None
        if not any(CSRF_NAMES.search(name) for name, _ in point.params):
            return None
        page = self.client.fetch("GET", point.source)
        if page.error or not page.is_html:
            return None
        for form in html.parse(page.url, page.body).forms:
            action = urlsplit(form.action)
            if action.path != urlsplit(point.url).path or form.method != point.method:
                continue
            tokens = {name: value for name, _, value in form.fields if CSRF_NAMES.search(name)}
            if tokens:
                return tuple((name, tokens.get(name, value)) for name, value in point.params)
        return None


def normalised(response: Response, *payloads: str) -> str:
    """The body with the payloads (as sent and HTML-escaped) removed: an echo is not a change."""
    body = response.body[:_COMPARED]
    for payload in payloads:
        if payload:
            for form in {payload, html_escape(payload)}:
                body = body.replace(form, "")
    return body


def html_escape(text: str) -> str:
    import html as _html

    return _html.escape(text)


def pieces(body: str) -> list[str]:
    """A body cut at newlines and tag ends: a timestamp changes one piece, not the whole page."""
    return _PIECES.split(body)[:5000]


class Baseline:
    """The original answer, asked twice: pieces that differ between the two are dynamic (a
    clock, a token) and are ignored; every other piece must match for "the same page"."""

    def __init__(self, first: str, second: str) -> None:
        one, two = pieces(first), pieces(second)
        self.dynamic = set(one).symmetric_difference(two)
        self.stable = [piece for piece in one if piece not in self.dynamic]

    def same(self, body: str, other: str | None = None) -> bool:
        """`body` is the original page (or, given `other`, the same page as `other`)."""
        wanted = self.stable if other is None else self._stable(other)
        return self._stable(body) == wanted

    def _stable(self, body: str) -> list[str]:
        return [piece for piece in pieces(body) if piece not in self.dynamic]


_PIECES = re.compile(r"[\n>]")
NUMBER = re.compile(r"^-?\d{1,15}$")
