"""Breadth-first crawl of one origin: links, forms and redirects, bounded by pages, depth, time."""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from urllib.parse import urljoin, urlsplit

from . import html
from .http import HttpClient, RequestBudgetExceeded, Response


@dataclasses.dataclass(frozen=True)
class Page:
    """A fetched page and what it links to."""

    response: Response
    depth: int
    document: html.Document = dataclasses.field(default_factory=html.Document)
    requested: str = ""  # the URL asked for, before redirects: its parameters are probed


@dataclasses.dataclass(frozen=True)
class CrawlLimits:
    max_pages: int = 100
    max_depth: int = 5
    max_seconds: float = 60.0


@dataclasses.dataclass(frozen=True)
class Crawl:
    pages: tuple[Page, ...]
    out_of_scope: tuple[str, ...]  # links and redirects that were seen and not followed
    stopped: str = ""  # why the crawl ended early, if it did


def crawl(
    client: HttpClient, start: str, limits: CrawlLimits, seeds: tuple[str, ...] = ()
) -> Crawl:
    """Visit `start` and the pages reachable from it inside the client's scope."""
    deadline = time.monotonic() + limits.max_seconds
    queue = deque([(start, 0)] + [(urljoin(start, seed), 1) for seed in seeds])
    seen = {_key(url) for url, _ in queue}
    pages: list[Page] = []
    outside: list[str] = []
    stopped = ""
    while queue:
        if len(pages) >= limits.max_pages:
            stopped = f"page limit {limits.max_pages} reached"
            break
        if time.monotonic() > deadline:
            stopped = f"time limit {limits.max_seconds:g}s reached"
            break
        url, depth = queue.popleft()
        try:
            response = client.fetch("GET", url)
        except RequestBudgetExceeded as exc:
            stopped = str(exc)
            break
        if response.left_scope:
            outside.append(response.left_scope)
        document = html.parse(response.url, response.body) if response.is_html else html.Document()
        pages.append(Page(response, depth, document, url))
        if depth >= limits.max_depth:
            continue
        targets = [*document.links, *(urljoin(response.url, u) for u in document.meta_refresh)]
        targets += [form.action for form in document.forms if form.method == "GET"]
        for target in targets:
            if not client.scope.contains(target):
                outside.append(target)
                continue
            key = _key(target)
            if key not in seen:
                seen.add(key)
                queue.append((target, depth + 1))
    return Crawl(tuple(pages), tuple(dict.fromkeys(outside)), stopped)


def _key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path or '/'}?{parts.query}"
