"""Site-wide active checks: hidden and backup files, TRACE, and CORS that reflects any Origin."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from .crawler import Page, excluded
from .http import HttpClient, Response
from .passive import Alert

# (path, rule, proof that the file is the real thing, not a soft 404)
HIDDEN = (
    ("/.git/config", "40035", re.compile(r"\[core\]|repositoryformatversion")),
    ("/.git/HEAD", "40035", re.compile(r"^ref: refs/")),
    ("/.env", "40034", re.compile(r"(?m)^[A-Z][A-Z0-9_]{1,60}=")),
    ("/.htpasswd", "40035", re.compile(r"(?m)^[\w.-]{1,60}:\$?[\w./$]{8,}")),
    ("/.DS_Store", "40035", re.compile(r"Bud1")),
    ("/.svn/entries", "40035", re.compile(r"^\d{1,3}\s")),
)
_BACKUP_SUFFIXES = (".bak", ".old", "~", ".orig", ".swp", ".save")


def _alert(response: Response, rule: str, evidence: str, attack: str = "") -> Alert:
    return Alert(
        rule=rule, method=response.method, url=response.url, evidence=evidence[:200], attack=attack
    )


def run(client: HttpClient, pages: tuple[Page, ...], exclude: tuple[str, ...]) -> Iterator[Alert]:
    start = pages[0].response.url if pages else ""
    if not start:
        return
    yield from hidden_files(client, start)
    yield from backup_files(client, pages, exclude)
    yield from trace(client, start)
    yield from cors_reflection(client, pages)


def hidden_files(client: HttpClient, start: str) -> Iterator[Alert]:
    for path, rule, proof in HIDDEN:
        response = client.fetch("GET", urljoin(start, path), follow=False)
        if response.status == 200 and not response.is_html:
            match = proof.search(response.body[:20_000])
            if match:
                yield _alert(response, rule, match.group(0))


def backup_files(
    client: HttpClient, pages: tuple[Page, ...], exclude: tuple[str, ...]
) -> Iterator[Alert]:
    """`page.py.bak` and friends of pages that have a file name, when the site does not answer
    200 to any made-up name (a soft 404 proves nothing)."""
    files = []
    for page in pages:
        path = urlsplit(page.response.url).path
        if "." in path.rsplit("/", 1)[-1] and page.response.status == 200:
            files.append(page.response)
    if not files:
        return
    soft = client.fetch("GET", urljoin(files[0].url, f"/{secrets.token_hex(6)}.bak"), follow=False)
    if soft.status == 200:
        return
    for original in files[:20]:
        base = original.url.split("?", 1)[0]
        for suffix in _BACKUP_SUFFIXES:
            if excluded(base + suffix, exclude):
                continue
            response = client.fetch("GET", base + suffix, follow=False)
            if response.status == 200 and response.body.strip() and response.body != original.body:
                yield _alert(response, "10095", f"{urlsplit(response.url).path} answered 200")
                break


def trace(client: HttpClient, start: str) -> Iterator[Alert]:
    marker = f"dst{secrets.token_hex(4)}"
    response = client.fetch("TRACE", start, headers={"X-Devsecops-Trace": marker}, follow=False)
    if response.status == 200 and marker in response.body:
        yield _alert(response, "90028", "TRACE echoed the request", attack="TRACE")


def cors_reflection(client: HttpClient, pages: tuple[Page, ...]) -> Iterator[Alert]:
    origin = f"https://{secrets.token_hex(5)}.example.invalid"
    for url in list(dict.fromkeys(p.response.url for p in pages if not p.response.error))[:5]:
        response = client.fetch("GET", url, headers={"Origin": origin}, follow=False)
        allowed = (response.header("Access-Control-Allow-Origin") or "").strip()
        if allowed == origin:
            credentials = (response.header("Access-Control-Allow-Credentials") or "").lower()
            rule = "40040-3" if credentials == "true" else "40040-2"
            yield _alert(
                response, rule, f"Access-Control-Allow-Origin: {allowed}", f"Origin: {origin}"
            )
            return
