"""OSV's online API for image packages: `querybatch` for ids, then each record by id."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from ..dependencies.model import Advisory
from ..dependencies.osv import RecordError
from .advisories import parse_for
from .ecosystems import Ecosystem
from .inventory import Package

DEFAULT_API = "https://api.osv.dev/v1"
MAX_ANSWER_BYTES = 32 * 1024 * 1024
BATCH = 500  # OSV accepts up to 1000 queries per batch


class OnlineError(Exception):
    """The advisory service did not answer, or answered something we cannot read."""


def api_base(osv_url: str) -> str:
    """`…/v1` from a configured `…/v1/query` endpoint (the dependency scanner's setting)."""
    url = (osv_url or DEFAULT_API).rstrip("/")
    return url.removesuffix("/query")


def query(
    packages: Mapping[Ecosystem, Sequence[Package]], base: str, timeout: float
) -> dict[str, dict[str, tuple[Advisory, ...]]]:
    """Advisories by ecosystem name and package name, for every package that has any."""
    if not base.startswith(("https://", "http://127.0.0.1", "http://localhost", "http://[::1]")):
        raise OnlineError(f"refusing to send the image's package list over plain HTTP to {base}")
    found: dict[str, dict[str, tuple[Advisory, ...]]] = {e.name: {} for e in packages}
    wanted = [(e, p) for e, items in packages.items() for p in items]
    ids_for: dict[tuple[str, str], list[str]] = {}
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        body = {
            "queries": [
                {"package": {"ecosystem": e.name, "name": p.name}, "version": p.version}
                for e, p in chunk
            ]
        }
        answer = _post(f"{base}/querybatch", body, timeout)
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(chunk):
            raise OnlineError("OSV's querybatch answer does not have one result per query")
        for (ecosystem, package), result in zip(chunk, results, strict=True):
            if not isinstance(result, Mapping):
                raise OnlineError("OSV's querybatch answer holds a result that is not an object")
            vulns = result.get("vulns")
            if result.get("next_page_token"):
                raise OnlineError(
                    f"OSV paginated the answer for {package.name}; not supported, not guessed"
                )
            ids = [str(v["id"]) for v in vulns or () if isinstance(v, Mapping) and "id" in v]
            if ids:
                ids_for[(ecosystem.name, package.name)] = ids
    records: dict[str, Mapping[str, Any]] = {}
    for identifier in sorted({i for ids in ids_for.values() for i in ids}):
        records[identifier] = _get(f"{base}/vulns/{urllib.parse.quote(identifier)}", timeout)
    by_name = {e.name: e for e in packages}
    for (ecosystem_name, package_name), ids in sorted(ids_for.items()):
        ecosystem = by_name[ecosystem_name]
        try:
            advisories = [a for i in ids if (a := parse_for(records[i], ecosystem)) is not None]
        except RecordError as exc:  # an advisory OSV says applies must not silently vanish
            raise OnlineError(f"OSV answered a record that cannot be read: {exc}") from None
        found[ecosystem_name][
            package_name if ecosystem.kind != "pypi" else _canonical(package_name)
        ] = tuple(advisories)
    return found


def _post(url: str, body: Mapping[str, Any], timeout: float) -> Mapping[str, Any]:
    return _fetch("POST", url, timeout, body)


def _get(url: str, timeout: float) -> Mapping[str, Any]:
    return _fetch("GET", url, timeout)


def _fetch(
    method: str, url: str, timeout: float, body: Mapping[str, Any] | None = None
) -> Mapping[str, Any]:
    import requests  # imported on first use: only online image audits need it

    try:
        with requests.request(method, url, json=body, timeout=timeout, stream=True) as response:
            response.raise_for_status()
            raw = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
    except (requests.RequestException, OSError) as exc:
        raise OnlineError(f"OSV at {url} did not answer: {exc}") from None
    if len(raw) > MAX_ANSWER_BYTES:
        raise OnlineError(f"OSV's answer from {url} is too large")
    try:
        answer = json.loads(raw)
    except ValueError as exc:
        raise OnlineError(f"OSV's answer from {url} is not JSON: {exc}") from None
    if not isinstance(answer, Mapping):
        raise OnlineError(f"OSV's answer from {url} is not a JSON object")
    return answer


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)
