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
    """Links, forms (closed or not), fields tied to a form by `form=`, submit buttons with their
    own `formaction`, a select's selected option, `<base href>` and meta refreshes."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.meta_refresh: list[str] = []
        self._open: _OpenForm | None = None
        self._by_id: dict[str, _OpenForm] = {}
        self._all: list[_OpenForm] = []
        self._select: tuple[_OpenForm, str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base" and values.get("href") and not self._all and not self.links:
            self.base = urljoin(self.base, values["href"])
        elif tag in ("a", "area") and values.get("href"):
            self.links.append(values["href"])
        elif tag in ("iframe", "frame") and values.get("src"):
            self.links.append(values["src"])
        elif tag == "form":
            # A form inside an unclosed form starts a new one (as browsers do).
            method = (values.get("method") or "get").upper()
            self._open = _OpenForm(values.get("action", ""), method, [], [])
            self._all.append(self._open)
            if values.get("id"):
                self._by_id[values["id"]] = self._open
        elif tag in ("input", "textarea", "select", "button"):
            self._field(tag, values)
        elif tag == "option" and self._select is not None:
            options = self._select[2]
            value = values.get("value", "")
            if "selected" in values:
                options.insert(0, value)
            else:
                options.append(value)
        elif tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            match = _REFRESH_URL.search(values.get("content", ""))
            if match:
                self.meta_refresh.append(match.group(1).strip())

    def _field(self, tag: str, values: dict[str, str]) -> None:
        owner = self._by_id.get(values["form"]) if values.get("form") else self._open
        if owner is None:
            return
        kind = values.get("type", "text" if tag != "textarea" else "textarea").lower()
        if tag == "select":
            kind = "select"
        if kind in ("submit", "image") and values.get("formaction"):
            method = (values.get("formmethod") or owner.method).upper()
            owner.variants.append((values["formaction"], method))
        if not values.get("name"):
            return
        if kind in ("radio", "checkbox") and any(n == values["name"] for n, _, _ in owner.fields):
            return  # one value per group is enough to submit the form
        owner.fields.append((values["name"], kind, values.get("value", "")))
        if tag == "select":
            self._select = (owner, values["name"], [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None
        elif tag == "select" and self._select is not None:
            form, name, options = self._select
            if options:
                form.fields[:] = [
                    (n, k, options[0] if n == name and k == "select" else v)
                    for n, k, v in form.fields
                ]
            self._select = None

    def finish(self) -> None:
        """Every form seen, closed or not, plus one copy per distinct `formaction`."""
        if self._select is not None:
            self.handle_endtag("select")
        for form in self._all:
            for action, method in [(form.action, form.method), *form.variants]:
                target = urljoin(self.base, action) if action else self.base
                self.forms.append(Form(target, method, tuple(form.fields)))


@dataclasses.dataclass
class _OpenForm:
    action: str
    method: str
    fields: list[tuple[str, str, str]]
    variants: list[tuple[str, str]]


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
    extractor.finish()
    base = extractor.base
    links = []
    for href in extractor.links:
        href = href.strip()
        if href.lower().startswith(("javascript:", "mailto:", "tel:", "data:")):
            continue
        absolute = urljoin(base, href)
        links.append(absolute.split("#", 1)[0])
    return Document(
        tuple(dict.fromkeys(links)),
        tuple(dict.fromkeys(extractor.forms)),
        tuple(urljoin(base, url) for url in extractor.meta_refresh),
    )
