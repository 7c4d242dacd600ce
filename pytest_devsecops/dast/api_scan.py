"""The OpenAPI part of a scan: seeds for the crawler, each operation sent once (reachable or not),
JSON body leaves as insertion points, and XXE on the operations that accept XML."""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from . import openapi
from .crawler import Page, excluded
from .http import HttpClient, Response
from .oob import Listener
from .passive import Alert
from .points import InsertionPoint, json_points


@dataclasses.dataclass
class Api:
    """The operations of the description and what became of them."""

    operations: list[openapi.Operation]
    unreachable: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    answers: list[Response] = dataclasses.field(default_factory=list)

    @property
    def seeds(self) -> tuple[str, ...]:
        return tuple(op.url for op in self.operations if op.method == "GET")


def load(
    source_url: str, source_file: str, start: str, client: HttpClient, exclude: tuple[str, ...]
) -> Api:
    source = source_url or source_file
    document = openapi.load(source, start, client, Path("/"))
    operations = [
        op
        for op in openapi.operations(document, start)
        if client.scope.contains(op.url) and not excluded(op.url, exclude)
    ]
    return Api(operations)


# Where frameworks publish their description (FastAPI, Django Ninja, drf-spectacular, springdoc,
# Swashbuckle, flask-smorest / apispec): looked for only when devsecops_openapi is not set.
WELL_KNOWN = (
    "/openapi.json",
    "/swagger.json",
    "/api/openapi.json",
    "/v3/api-docs",
    "/api/schema/",
    "/swagger/v1/swagger.json",
    "/api/swagger.json",
)


def discover(start: str, client: HttpClient, exclude: tuple[str, ...]) -> tuple[Api | None, str]:
    """The API at the first well-known path that serves an OpenAPI or Swagger description (JSON
    with `openapi`/`swagger` and `paths`), and that path; (None, "") when none does."""
    for path in WELL_KNOWN:
        answer = client.fetch("GET", urljoin(start, path))
        if answer.error or answer.status != 200 or not answer.body.lstrip().startswith("{"):
            continue
        try:
            document = json.loads(answer.body)
        except ValueError:
            continue
        if not isinstance(document, dict) or not ({"openapi", "swagger"} & document.keys()):
            continue
        try:
            return load(path, "", start, client, exclude), path
        except openapi.OpenApiError:
            continue
    return None, ""


def send_all(api: Api, client: HttpClient, pages: tuple[Page, ...]) -> None:
    """Send each non-GET operation once; note every operation that did not answer below 400."""
    fetched = {page.requested: page.response for page in pages}
    for op in api.operations:
        if op.method == "GET" and op.url in fetched:
            answer = fetched[op.url]
        else:
            answer = _send(client, op, op.json_body)
            api.answers.append(answer)
        if answer.error or answer.status >= 400:
            reason = answer.error or f"answered {answer.status}"
            if answer.status in (401, 403):
                reason += " (configure authentication: devsecops_dast_auth or the login settings)"
            api.unreachable.append((op.label, reason))


def _send(client: HttpClient, op: openapi.Operation, body: object) -> Response:
    headers = dict(op.headers)
    data = None
    if op.xml and body is None:
        headers["Content-Type"] = "application/xml"
        data = b'<?xml version="1.0"?><r>test</r>'
    elif body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    return client.fetch(op.method, op.url, data=data, headers=headers)


def points(api: Api) -> Iterator[InsertionPoint]:
    """Every scalar leaf of every JSON body the description gives an example of."""
    for op in api.operations:
        if isinstance(op.json_body, (dict, list)) and op.method != "GET":
            yield from json_points(op.method, op.url, op.json_body)


def xxe(api: Api, client: HttpClient, listener: Listener | None) -> Iterator[Alert]:
    """An external entity that points at a marker file our loopback listener serves (never a
    real system file): its content in the answer, or a fetch of it, proves the parser expanded
    it (90023). Only operations that declare an XML body are tried."""
    if listener is None:
        return
    for op in api.operations:
        if not op.xml:
            continue
        token = secrets.token_hex(8)
        marker = f"dsxxe{secrets.token_hex(6)}"
        listener.files[f"/xxe-{token}"] = marker
        entity = f"{listener.base}/xxe-{token}"
        payload = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "{entity}">]><r>&e;</r>'
        answer = client.fetch(
            op.method, op.url, data=payload.encode(), headers={"Content-Type": "application/xml"}
        )
        if marker in answer.body:
            yield Alert(
                "90023", op.method, op.url, evidence=marker, attack=payload, confidence="High"
            )
        elif listener.wait_for(f"xxe-{token}", 0.5):
            yield Alert(
                "90023",
                op.method,
                op.url,
                evidence=f"the parser fetched {urlsplit(entity).path}",
                attack=payload,
            )
