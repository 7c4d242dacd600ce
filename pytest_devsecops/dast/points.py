"""Insertion points: every place a request carries input (query, form fields, cookies, common
headers, id-like path segments, JSON leaves), and how to send one value in that place."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from .html import Form
from .http import HttpClient, Response

_TEXT_TYPES = {"text", "search", "textarea", "email", "url", "tel", "hidden", "password", ""}
_TEXT_TYPES |= {"select", "number", "range", "date", "radio", "checkbox"}
HEADERS = ("User-Agent", "Referer", "X-Forwarded-For", "Accept-Language")
_ID_SEGMENT = re.compile(r"^(?:\d{1,12}|[0-9a-fA-F-]{8,40}|[A-Za-z0-9_.-]{1,40}\.\w{2,5})$")
CSRF_NAMES = re.compile(r"(?i)csrf|xsrf|authenticity|__requestverification|_token\b|^token$")


@dataclasses.dataclass(frozen=True)
class InsertionPoint:
    """One input of one request that a probe can put a payload into; `where` says which kind."""

    method: str
    url: str  # without its query
    params: tuple[tuple[str, str], ...]  # query or form fields, with their normal values
    name: str
    where: str = "query"  # query | form | cookie | header | path | json
    query: tuple[tuple[str, str], ...] = ()  # the request's own query, for non-query points
    body: str = ""  # the JSON document a json point edits
    source: str = ""  # the page the form was found on (its CSRF token is fetched fresh)
    enctype: str = ""

    @property
    def label(self) -> str:
        """How the finding names the input: `q`, `cookie:session`, `header:Referer`, ..."""
        return self.name if self.where in ("query", "form") else f"{self.where}:{self.name}"

    @property
    def original(self) -> str:
        if self.where == "path":
            return urlsplit(self.url).path.split("/")[int(self.name)]
        if self.where == "json":
            leaf = _leaf(json.loads(self.body), self.name)
            return "" if leaf is None else str(leaf)
        return dict(self.params).get(self.name, "")

    def send(
        self,
        client: HttpClient,
        value: str,
        follow: bool = True,
        params: tuple[tuple[str, str], ...] | None = None,
    ) -> Response:
        """The request with `value` in this input (everything else as normal)."""
        fields = params if params is not None else self.params
        if self.where in ("query", "form"):
            values = [(key, value if key == self.name else old) for key, old in fields]
            if self.method == "GET":
                return client.fetch("GET", _with_query(self.url, values), follow=follow)
            return client.fetch(self.method, self.url, data=dict(values), follow=follow)
        url = _with_query(self.url, list(self.query))
        if self.where == "cookie":
            jar = {cookie.name: cookie.value or "" for cookie in client.session.cookies}
            jar[self.name] = value
            cookie = "; ".join(f"{key}={quote(val, safe='')}" for key, val in jar.items())
            return client.fetch("GET", url, headers={"Cookie": cookie}, follow=follow)
        if self.where == "header":
            return client.fetch("GET", url, headers={self.name: value}, follow=follow)
        if self.where == "path":
            parts = urlsplit(self.url)
            segments = parts.path.split("/")
            segments[int(self.name)] = quote(value, safe="")
            path = "/".join(segments)
            target = urlunsplit((parts.scheme, parts.netloc, path, urlencode(self.query), ""))
            return client.fetch("GET", target, follow=follow)
        document = json.loads(self.body)
        _set_leaf(document, self.name, value)
        return client.fetch(
            self.method,
            url,
            data=json.dumps(document).encode(),
            headers={"Content-Type": "application/json"},
            follow=follow,
        )


def _with_query(url: str, values: list[tuple[str, str]]) -> str:
    # %20, not "+": apps that decode with unquote() or read the raw query see the payload intact.
    return f"{url}?{urlencode(values, quote_via=quote)}" if values else url


def query_points(url: str) -> Iterator[InsertionPoint]:
    parts = urlsplit(url)
    query = tuple(parse_qsl(parts.query, keep_blank_values=True))
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    for name, _ in query:
        yield InsertionPoint("GET", bare, query, name)


def form_points(form: Form, source: str) -> Iterator[InsertionPoint]:
    fields = tuple((name, value or _default(kind)) for name, kind, value in form.fields)
    action = urlsplit(form.action)
    bare = urlunsplit((action.scheme, action.netloc, action.path, "", ""))
    where = "query" if form.method == "GET" else "form"
    for name, kind, _ in form.fields:
        if kind in _TEXT_TYPES and not CSRF_NAMES.search(name):
            yield InsertionPoint(form.method, bare, fields, name, where, source=source)


def _default(kind: str) -> str:
    return {
        "number": "1",
        "range": "1",
        "email": "a@example.invalid",
        "url": "http://a.invalid/",
    }.get(kind, "test")


def request_points(url: str, cookies: list[str]) -> Iterator[InsertionPoint]:
    """The cookies and common headers of a GET of `url`, and its id-like path segments."""
    parts = urlsplit(url)
    query = tuple(parse_qsl(parts.query, keep_blank_values=True))
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    for name in cookies:
        yield InsertionPoint("GET", bare, (), name, "cookie", query)
    for header in HEADERS:
        yield InsertionPoint("GET", bare, (), header, "header", query)
    for index, segment in enumerate(parts.path.split("/")):
        if index and segment and _ID_SEGMENT.match(segment):
            yield InsertionPoint("GET", bare, (), str(index), "path", query)


def json_points(method: str, url: str, document: Any) -> Iterator[InsertionPoint]:
    """Every scalar leaf of a JSON object sent to `url`."""
    body = json.dumps(document)
    for path in _leaves(document, ""):
        yield InsertionPoint(method, url, (), path, "json", body=body)


def _leaves(node: Any, prefix: str) -> Iterator[str]:
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        yield prefix
        return
    for key, child in list(items)[:50]:
        yield from _leaves(child, f"{prefix}.{key}" if prefix else str(key))


def _leaf(node: Any, path: str) -> Any:
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _set_leaf(node: Any, path: str, value: str) -> None:
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
