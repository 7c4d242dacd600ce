"""Defensive HTML reading: links, forms and meta refreshes, from whatever the server sends."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Form:
    """A form: where it submits, how, and its named fields with their default values."""

    action: str
    method: str
    fields: tuple[tuple[str, str, str], ...]  # (name, type, value)

    def field_names(self) -> list[str]:
        return [name for name, _, _ in self.fields]


class _Extractor(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.meta_refresh: list[str] = []
        self._form: tuple[str, str, list[tuple[str, str, str]]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag in ("a", "area") and values.get("href"):
            self.links.append(values["href"])
        elif tag in ("iframe", "frame") and values.get("src"):
            self.links.append(values["src"])
        elif tag == "form":
            self._form = (values.get("action", ""), (values.get("method") or "get").upper(), [])
        elif tag in ("input", "textarea", "select", "button") and self._form is not None:
            if values.get("name"):
                kind = values.get("type", "text" if tag != "textarea" else "textarea").lower()
                self._form[2].append((values["name"], kind, values.get("value", "")))
        elif tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            match = _REFRESH_URL.search(values.get("content", ""))
            if match:
                self.meta_refresh.append(match.group(1).strip())

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            action, method, fields = self._form
            self.forms.append(
                Form(urljoin(self.base, action) if action else self.base, method, tuple(fields))
            )
            self._form = None


@dataclasses.dataclass(frozen=True)
class Document:
    links: tuple[str, ...] = ()
    forms: tuple[Form, ...] = ()
    meta_refresh: tuple[str, ...] = ()


def parse(base: str, body: str, limit: int = 2_000_000) -> Document:
    """Links (absolute, without fragments), forms and meta refreshes; never raises."""
    extractor = _Extractor(base)
    try:
        extractor.feed(body[:limit])
        extractor.close()
    except (AssertionError, ValueError):  # html.parser gives up on some malformed markup
        pass
    links = []
    for href in extractor.links:
        href = href.strip()
        if href.lower().startswith(("javascript:", "mailto:", "tel:", "data:")):
            continue
        absolute = urljoin(base, href)
        links.append(absolute.split("#", 1)[0])
    return Document(
        tuple(dict.fromkeys(links)), tuple(extractor.forms), tuple(extractor.meta_refresh)
    )
