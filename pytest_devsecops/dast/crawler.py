"""Breadth-first crawl of one origin: links, forms and redirects, bounded by pages, depth, time."""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import time
from collections import deque
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from . import html
from .auth import SESSION_LOST, AuthError
from .http import HttpClient, RequestBudgetExceeded, Response

if TYPE_CHECKING:
    from .auth import Session


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
    exclude: tuple[str, ...] = ()  # globs on the path (and query) never requested


# Requesting one of these ends the session the scan is using (or the user's account).
def excluded(url: str, patterns: tuple[str, ...]) -> bool:
    """Whether the URL's path (with its query) matches one of the globs, case-insensitively."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return any(fnmatch.fnmatch(target.lower(), pattern.lower()) for pattern in patterns)


@dataclasses.dataclass(frozen=True)
class Crawl:
    pages: tuple[Page, ...]
    out_of_scope: tuple[str, ...]  # links and redirects that were seen and not followed
    stopped: str = ""  # why the crawl ended early, if it did


def crawl(
    client: HttpClient,
    start: str,
    limits: CrawlLimits,
    seeds: tuple[str, ...] = (),
    session: Session | None = None,
) -> Crawl:
    """Visit `start` and the pages reachable from it inside the client's scope."""
    deadline = time.monotonic() + limits.max_seconds
    found = [urljoin(start, seed) for seed in seeds] + _published(client, start)
    queue = deque(
        [(start, 0)]
        + [
            (url, 1)
            for url in found
            if client.scope.contains(url) and not excluded(url, limits.exclude)
        ]
    )
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
            if session is not None and session.lost(response):
                session.login()  # the session was lost: log in again and ask once more
                response = client.fetch("GET", url)
        except RequestBudgetExceeded as exc:
            stopped = str(exc)
            break
        except AuthError as exc:
            stopped = f"{SESSION_LOST} and logging in again failed: {exc}"
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
            if excluded(target, limits.exclude):
                continue
            key = _key(target)
            if key not in seen:
                seen.add(key)
                queue.append((target, depth + 1))
    return Crawl(tuple(pages), tuple(dict.fromkeys(outside)), stopped)


_SITEMAP_LOC = re.compile(r"<loc>\s*([^<\s]{1,2000})\s*</loc>", re.IGNORECASE)
_ROBOTS_LINE = re.compile(r"(?im)^\s*(allow|disallow|sitemap)\s*:\s*(\S{1,2000})")


def _published(client: HttpClient, start: str) -> list[str]:
    """Seeds the site publishes itself: robots.txt paths (without wildcards) and sitemap URLs."""
    urls: list[str] = []
    sitemaps = [urljoin(start, "/sitemap.xml")]
    robots = client.fetch("GET", urljoin(start, "/robots.txt"))
    if robots.status == 200 and not robots.is_html:
        for kind, value in _ROBOTS_LINE.findall(robots.body[:200_000]):
            if kind.lower() == "sitemap":
                sitemaps.append(urljoin(start, value))
            elif "*" not in value and "$" not in value and value != "/":
                urls.append(urljoin(start, value))
    for sitemap in dict.fromkeys(sitemaps):
        if not client.scope.contains(sitemap):
            continue
        answer = client.fetch("GET", sitemap)
        if answer.status == 200:
            urls += [urljoin(start, loc) for loc in _SITEMAP_LOC.findall(answer.body[:2_000_000])]
    return list(dict.fromkeys(urls))[:500]


def _key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path or '/'}?{parts.query}"
