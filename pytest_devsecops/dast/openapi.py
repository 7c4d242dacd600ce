"""Crawl seeds and insertion points from an OpenAPI description (3.x or Swagger 2): every
operation, with example or type-appropriate values for its path, query, header and body
parameters."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from .http import HttpClient

_METHODS = ("get", "post", "put", "patch", "delete")
MAX_OPERATIONS = 500


class OpenApiError(Exception):
    """The description could not be read; the message says where and why."""


@dataclasses.dataclass(frozen=True)
class Operation:
    """One operation, ready to send: `url` has path and query values filled in."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    json_body: Any = None
    xml: bool = False  # the operation accepts an XML body

    @property
    def label(self) -> str:
        return f"{self.method} {self.url}"


def load(source: str, start: str, client: HttpClient, root: Path) -> dict[str, Any]:
    """The description from a path on the target (`/openapi.json`) or a file under `root`."""
    if source.startswith(("/", "http://", "https://")):
        answer = client.fetch("GET", urljoin(start, source))
        if answer.error or answer.status != 200:
            raise OpenApiError(f"devsecops_openapi = {source}: {answer.error or answer.status}")
        text = answer.body
    else:
        try:
            text = (root / source).read_text(encoding="utf-8")
        except OSError as exc:
            raise OpenApiError(f"devsecops_openapi = {source}: {exc.strerror}") from None
    try:
        document = json.loads(text) if text.lstrip().startswith("{") else _yaml(text)
    except ValueError as exc:
        raise OpenApiError(f"devsecops_openapi = {source}: not JSON or YAML ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise OpenApiError(f"devsecops_openapi = {source}: no 'paths' object")
    return document


def _yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None


def operations(document: dict[str, Any], start: str) -> list[Operation]:
    base = _server(document)
    found = []
    for path, item in list(document["paths"].items())[:MAX_OPERATIONS]:
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters", [])
        for method in _METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                found.append(_operation(document, start, base, path, method, operation, shared))
    return found


def _server(document: dict[str, Any]) -> str:
    servers = document.get("servers") or []
    url = servers[0].get("url", "") if servers and isinstance(servers[0], dict) else ""
    if url.startswith("/"):
        return url.rstrip("/")
    return str(document.get("basePath", "")).rstrip("/")  # Swagger 2; absolute servers ignored


def _operation(
    document: dict[str, Any],
    start: str,
    base: str,
    path: str,
    method: str,
    operation: dict[str, Any],
    shared: list[Any],
) -> Operation:
    query: list[tuple[str, str]] = []
    headers: list[tuple[str, str]] = []
    body: Any = None
    for parameter in [*shared, *operation.get("parameters", [])]:
        parameter = _resolve(document, parameter)
        if not isinstance(parameter, dict) or "name" not in parameter:
            continue
        value = _example(document, parameter, parameter.get("schema", parameter), 0)
        where = parameter.get("in")
        if where == "path":
            path = path.replace("{" + parameter["name"] + "}", quote(str(value), safe=""))
        elif where == "query":
            query.append((parameter["name"], _text(value)))
        elif where == "header":
            headers.append((parameter["name"], _text(value)))
        elif where == "body":  # Swagger 2
            body = value
    content = _resolve(document, operation.get("requestBody", {})).get("content", {})
    xml = any("xml" in kind for kind in content)
    for kind, media in content.items():
        if "json" in kind and isinstance(media, dict):
            body = _example(document, media, media.get("schema", {}), 0)
            break
    url = urljoin(start, base + re.sub(r"\{[^}]*\}", "1", path))
    if query:
        url += "?" + urlencode(query, quote_via=quote)
    return Operation(method.upper(), url, tuple(headers), body, xml)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _resolve(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow a local `$ref` (a few levels at most; nothing outside the document)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 10:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return {}
        node = document
        for part in ref[2:].split("/"):
            node = (
                node.get(part.replace("~1", "/").replace("~0", "~"), {})
                if isinstance(node, dict)
                else {}
            )
        depth += 1
    return node


def _example(document: dict[str, Any], holder: Any, schema: Any, depth: int) -> Any:
    """The holder's example, else the schema's example/default/first enum, else by type."""
    if isinstance(holder, dict):
        if "example" in holder:
            return holder["example"]
        examples = holder.get("examples")
        if isinstance(examples, dict) and examples:
            first = _resolve(document, next(iter(examples.values())))
            if isinstance(first, dict) and "value" in first:
                return first["value"]
    schema = _resolve(document, schema)
    if not isinstance(schema, dict) or depth > 6:
        return "test"
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            name: _example(document, None, sub, depth + 1)
            for name, sub in list(properties.items())[:30]
        }
    if kind == "array":
        return [_example(document, None, schema.get("items", {}), depth + 1)]
    return {"integer": 1, "number": 1, "boolean": True}.get(kind, "test")
