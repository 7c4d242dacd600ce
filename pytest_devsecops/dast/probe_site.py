"""Site-wide active checks: hidden and backup files, TRACE, and CORS that reflects any Origin."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from .crawler import Page, excluded
from .findings import path_template
from .http import HttpClient, Response
from .passive import Alert

# (name, rule, proof that the file is the real thing): the proof's `shown` group, when it has
# one, is all the finding quotes (a password hash or a secret value never goes into a report).
HIDDEN = (
    (".git/config", "40035", re.compile(r"\[core\]|repositoryformatversion")),
    (".git/HEAD", "40035", re.compile(r"^ref: refs/")),
    (".env", "40034", re.compile(r"(?m)^(?P<shown>[A-Z][A-Z0-9_]{1,60})=")),
    (".htpasswd", "40035", re.compile(r"(?m)^(?P<shown>[\w.-]{1,60}):\$?[\w./$]{8,}")),
    (".DS_Store", "40035", re.compile(r"Bud1")),
    (".svn/entries", "40035", re.compile(r"^\d{1,3}\s")),
)
_BACKUP_SUFFIXES = (".bak", ".old", "~", ".orig", ".save", ".swp")
_FOLDERS = 20  # crawled folders searched for hidden files (the root first)
_FILES = 20  # crawled files whose backup copies are asked for
_PAGES = 50  # distinct page templates asked for TRACE and CORS


def _alert(response: Response, rule: str, evidence: str, attack: str = "") -> Alert:
    return Alert(
        rule=rule, method=response.method, url=response.url, evidence=evidence[:200], attack=attack
    )


def run(client: HttpClient, pages: tuple[Page, ...], exclude: tuple[str, ...]) -> Iterator[Alert]:
    answered = [page for page in pages if not page.response.error]
    if not answered:
        return
    yield from hidden_files(client, folders(answered), exclude)
    yield from backup_files(client, answered, exclude)
    targets = distinct_pages(answered, exclude)
    yield from trace(client, targets)
    yield from cors_reflection(client, targets)


def folders(pages: list[Page]) -> list[str]:
    """The site's root, then the folder of every crawled page: where dot-files get left."""
    first = pages[0].response.url
    found = [urljoin(first, "/")]
    found += [urljoin(page.response.url, ".") for page in pages]
    return [url.split("?", 1)[0] for url in dict.fromkeys(found)][:_FOLDERS]


def distinct_pages(pages: list[Page], exclude: tuple[str, ...]) -> list[str]:
    """One URL per path template, the start page first, answers scripts read (JSON, XML) next:
    CORS matters most on an API."""
    start, rest = pages[0], sorted(pages[1:], key=lambda page: page.response.is_html)
    chosen: dict[str, str] = {}
    for page in (start, *rest):
        url = page.response.url
        if not excluded(url, exclude):
            chosen.setdefault(path_template(url), url)
    return list(chosen.values())[:_PAGES]


def _made_up(client: HttpClient, folder: str, name: str) -> Response:
    """What `folder` answers for a name that cannot exist: a site that answers 200 to anything
    (a "soft 404") proves nothing by answering 200 to a hidden file's name."""
    return client.fetch("GET", urljoin(folder, name), follow=False)


def hidden_files(
    client: HttpClient, places: list[str], exclude: tuple[str, ...]
) -> Iterator[Alert]:
    reported: set[tuple[str, str]] = set()
    for folder in places:
        soft: Response | None = None
        for name, rule, proof in HIDDEN:
            url = urljoin(folder, name)
            if excluded(url, exclude):
                continue
            response = client.fetch("GET", url, follow=False)
            if response.status != 200 or response.is_html:
                continue
            match = proof.search(response.body[:20_000])
            if not match:
                continue
            if soft is None:
                soft = _made_up(client, folder, f".{secrets.token_hex(6)}")
            if soft.status == 200 and proof.search(soft.body[:20_000]):
                break  # the made-up name "has" the same content: every name here is a soft 404
            digest = hashlib.sha256(response.body.encode()).hexdigest()
            if (rule, digest) in reported:
                continue  # one file served under every folder is one finding
            reported.add((rule, digest))
            yield _alert(response, rule, _evidence(match))


def _evidence(match: re.Match[str]) -> str:
    if "shown" not in match.re.groupindex:
        return match.group(0)
    return f"{match.group('shown')} (the value is not shown)"


def backup_files(
    client: HttpClient, pages: list[Page], exclude: tuple[str, ...]
) -> Iterator[Alert]:
    """`page.py.bak`, `.page.py.swp` and friends of crawled files, in folders that do not answer
    200 to a made-up backup name (a soft 404 proves nothing)."""
    files = [
        page.response
        for page in pages
        if page.response.status == 200
        and "." in urlsplit(page.response.url).path.rsplit("/", 1)[-1]
    ]
    soft_folders: dict[str, bool] = {}
    for original in list({r.url.split("?", 1)[0]: r for r in files}.values())[:_FILES]:
        base = original.url.split("?", 1)[0]
        folder, _, name = base.rpartition("/")
        if folder not in soft_folders:
            made_up = _made_up(client, folder + "/", f"{secrets.token_hex(6)}.bak")
            soft_folders[folder] = made_up.status == 200
        if soft_folders[folder]:
            continue
        candidates = [base + suffix for suffix in _BACKUP_SUFFIXES] + [f"{folder}/.{name}.swp"]
        for candidate in candidates:
            if excluded(candidate, exclude):
                continue
            response = client.fetch("GET", candidate, follow=False)
            if response.status == 200 and response.body.strip() and response.body != original.body:
                yield _alert(response, "10095", f"{urlsplit(response.url).path} answered 200")
                break


def trace(client: HttpClient, targets: list[str]) -> Iterator[Alert]:
    """TRACE that echoes the request (with its cookies and auth headers) back to a script. When
    the start page does it, the server does it everywhere: one finding for the site."""
    for index, url in enumerate(targets):
        marker = f"dst{secrets.token_hex(4)}"
        response = client.fetch("TRACE", url, headers={"X-Devsecops-Trace": marker}, follow=False)
        if response.status == 200 and marker in response.body:
            yield _alert(response, "90028", "TRACE echoed the request", attack="TRACE")
            if index == 0:
                return


def cors_reflection(client: HttpClient, targets: list[str]) -> Iterator[Alert]:
    """An Access-Control-Allow-Origin that lets a foreign origin, or `null` (sandboxed frames,
    data: URLs), read the answer: with credentials allowed too, High (40040-3)."""
    foreign = f"https://{secrets.token_hex(5)}.example.invalid"
    for index, url in enumerate(targets):
        for origin in (foreign, "null"):
            response = client.fetch("GET", url, headers={"Origin": origin}, follow=False)
            allowed = (response.header("Access-Control-Allow-Origin") or "").strip()
            if allowed != origin:
                continue
            credentials = (response.header("Access-Control-Allow-Credentials") or "").lower()
            rule = "40040-3" if credentials.strip() == "true" else "40040-2"
            evidence = f"Access-Control-Allow-Origin: {allowed}"
            if rule == "40040-3":
                evidence += ", Access-Control-Allow-Credentials: true"
            yield _alert(response, rule, evidence, f"Origin: {origin}")
            if index == 0:
                return  # the start page too: a site-wide setting, one finding
            break
