"""A stand-in for OWASP ZAP's JSON API, as `zapv2` 0.6.0 calls it (shared/zap/CONTRACT.md).

It is not ZAP: it implements the subset of the API pytest-devsecops uses, with ZAP's wire
conventions (absolute- and origin-form requests, the X-ZAP-API-Key header, string-typed values,
`{"code","message"}` errors with HTTP 400/500, a silent close on a bad key, scan ids from 0,
alert ids from 0, message ids from 1, 1-based alert paging, a draining passive queue). It crawls
the target itself and raises alerts from the real responses with its own small set of checks,
independent of the plugin's rules. Knobs simulate failures: a stuck spider, ZAP going away after
N calls, unknown policies.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

_LINK = re.compile(r"""(?:href|action)\s*=\s*["']([^"'#]+)""", re.IGNORECASE)


class ApiError(Exception):
    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code, self.status = code, status


class ZapState:
    """Everything one stand-in instance knows; reset by core/action/newSession."""

    def __init__(self, api_key: str, stuck_spider: bool, die_after: int | None) -> None:
        self.api_key = api_key
        self.stuck_spider = stuck_spider
        self.die_after = die_after
        self.calls: list[str] = []
        self.shutdown_requested = False
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.alerts: list[dict[str, Any]] = []
        self.contexts: dict[str, dict[str, Any]] = {"Default Context": {"id": 1, "include": []}}
        self.spiders: list[dict[str, Any]] = []
        self.ascans: list[dict[str, Any]] = []
        self.queue = 0

    # -- history and passive checks -------------------------------------------------------
    def record(
        self, method: str, url: str, response: requests.Response, kind: str
    ) -> dict[str, Any]:
        with self.lock:
            message_id = len(self.messages) + 1
            headers = "".join(f"{k}: {v}\r\n" for k, v in response.headers.items())
            message = {
                "id": str(message_id),
                "type": kind,
                "rtt": "1",
                "note": "",
                "tags": [],
                "timestamp": str(int(time.time() * 1000)),
                "cookieParams": "",
                "requestBody": "",
                "requestHeader": f"{method} {url} HTTP/1.1\r\n\r\n",
                "responseHeader": f"HTTP/1.1 {response.status_code} {response.reason}\r\n{headers}\r\n",
                "responseBody": response.text,
                "_url": url,
                "_method": method,
                "_status": response.status_code,
            }
            self.messages.append(message)
            self.queue += 1
        self._passive(message, response)
        return message

    def _passive(self, message: dict[str, Any], response: requests.Response) -> None:
        if "html" not in response.headers.get("Content-Type", ""):
            return
        checks = [
            (
                "10038",
                "10038-1",
                "Content Security Policy (CSP) Header Not Set",
                "Medium",
                "High",
                "693",
                "",
                "Content-Security-Policy" not in response.headers,
            ),
            (
                "10020",
                "10020-1",
                "Missing Anti-clickjacking Header",
                "Medium",
                "Medium",
                "1021",
                "x-frame-options",
                "X-Frame-Options" not in response.headers,
            ),
            (
                "10021",
                "10021",
                "X-Content-Type-Options Header Missing",
                "Low",
                "Medium",
                "693",
                "x-content-type-options",
                "X-Content-Type-Options" not in response.headers,
            ),
        ]
        for cookie in response.raw.headers.getlist("Set-Cookie") if response.raw else []:
            if "httponly" not in cookie.lower():
                checks.append(
                    (
                        "10010",
                        "10010",
                        "Cookie No HttpOnly Flag",
                        "Low",
                        "Medium",
                        "1004",
                        cookie.split("=", 1)[0],
                        True,
                    )
                )
        for plugin, ref, name, risk, confidence, cwe, param, fires in checks:
            if fires:
                self.add_alert(plugin, ref, name, risk, confidence, cwe, message, param, "3")

    def add_alert(
        self,
        plugin: str,
        ref: str,
        name: str,
        risk: str,
        confidence: str,
        cwe: str,
        message: dict[str, Any],
        param: str,
        source: str,
        attack: str = "",
        evidence: str = "",
    ) -> None:
        with self.lock:
            self.alerts.append(
                {
                    "id": str(len(self.alerts)),
                    "pluginId": plugin,
                    "alertRef": ref,
                    "alert": name,
                    "name": name,
                    "risk": risk,
                    "confidence": confidence,
                    "url": message["_url"],
                    "method": message["_method"],
                    "param": param,
                    "attack": attack,
                    "evidence": evidence,
                    "other": "",
                    "cweid": cwe,
                    "wascid": "15",
                    "sourceid": source,
                    "messageId": message["id"],
                    "sourceMessageId": int(message["id"]),
                    "inputVector": "",
                    "description": f"{name} (stand-in)",
                    "solution": "Fix it.",
                    "reference": "",
                    "tags": {},
                    "nodeName": message["_url"],
                }
            )

    # -- scope ----------------------------------------------------------------------------
    def in_context(self, url: str, context: str | None) -> bool:
        if not context:
            return True
        bare = url.split("?", 1)[0]
        return any(re.fullmatch(regex, bare) for regex in self.contexts[context]["include"])

    def sites(self) -> list[str]:
        found = []
        for message in self.messages:
            parts = urlsplit(message["_url"])
            site = f"{parts.scheme}://{parts.netloc}"
            if site not in found:
                found.append(site)
        return found


def _fetch(url: str, method: str = "GET", data: bytes | None = None) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    try:
        return session.request(method, url, data=data, timeout=10, allow_redirects=False)
    finally:
        session.close()


class _Handler(BaseHTTPRequestHandler):
    state: ZapState
    server_ref: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        is_api = parts.netloc in ("zap", "") and parts.path.startswith(("/JSON/", "/OTHER/"))
        if not is_api:
            self._proxy(method)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        params = dict(parse_qsl(parts.query)) | dict(parse_qsl(body))
        key = self.headers.get("X-ZAP-API-Key") or params.pop("apikey", "")
        if key != self.state.api_key:
            self.close_connection = True  # ZAP sends nothing back for a bad key
            return
        segments = [s for s in parts.path.split("/") if s]
        call = "/".join(segments[1:4])
        self.state.calls.append(call)
        if self.state.die_after is not None and len(self.state.calls) > self.state.die_after:
            self.close_connection = True
            threading.Thread(target=self.server_ref.shutdown, daemon=True).start()
            return
        try:
            payload = _dispatch(self.state, call, params)
            self._send(200, payload)
        except ApiError as exc:
            self._send(exc.status, {"code": exc.code, "message": exc.code.replace("_", " ")})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _proxy(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        try:
            response = _fetch(self.path, method, body)
        except requests.RequestException as exc:
            data = f"ZAP Error [{type(exc).__name__}]".encode()
            self.send_response(502)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.state.record(method, self.path, response, "1")
        self.send_response(response.status_code)
        for name, value in response.raw.headers.items():
            if name.lower() not in (
                "content-length",
                "transfer-encoding",
                "connection",
                "content-encoding",
            ):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.content)))
        self.end_headers()
        self.wfile.write(response.content)


def _require(params: dict[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise ApiError("missing_parameter")
    return value


def _scan(scans: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
    if not scans:
        raise ApiError("does_not_exist")
    wanted = params.get("scanId", "")
    if wanted.isdigit() and int(wanted) < len(scans):
        return scans[int(wanted)]
    return scans[-1]


def _dispatch(state: ZapState, call: str, params: dict[str, str]) -> dict[str, Any]:
    if call == "core/view/version":
        return {"version": "2.17.0"}
    if call == "core/action/newSession":
        state.reset()
        return {"Result": "OK"}
    if call == "core/action/shutdown":
        state.shutdown_requested = True
        return {"Result": "OK"}
    if call == "core/action/accessUrl":
        url = _require(params, "url")
        if not url.startswith(("http://", "https://")):
            raise ApiError("illegal_parameter")
        try:
            response = _fetch(url)
        except requests.RequestException:
            raise ApiError("internal_error", 500) from None
        message = state.record("GET", url, response, "15")
        return {"accessUrl": [{k: v for k, v in message.items() if not k.startswith("_")}]}
    if call == "core/view/sites":
        return {"sites": state.sites()}
    if call == "core/view/urls":
        base = params.get("baseurl", "")
        return {"urls": sorted({m["_url"] for m in state.messages if m["_url"].startswith(base)})}
    if call == "core/view/message":
        index = int(_require(params, "id")) - 1
        if not 0 <= index < len(state.messages):
            raise ApiError("does_not_exist")
        return {
            "message": {k: v for k, v in state.messages[index].items() if not k.startswith("_")}
        }
    if call == "context/action/newContext":
        name = _require(params, "contextName")
        if name in state.contexts:
            raise ApiError("already_exists")
        state.contexts[name] = {"id": len(state.contexts) + 1, "include": []}
        return {"contextId": str(state.contexts[name]["id"])}
    if call == "context/action/includeInContext":
        name = _require(params, "contextName")
        if name not in state.contexts:
            raise ApiError("does_not_exist")
        try:
            re.compile(_require(params, "regex"))
        except re.error:
            raise ApiError("illegal_parameter") from None
        state.contexts[name]["include"].append(params["regex"])
        return {"Result": "OK"}
    if call == "context/action/removeContext":
        name = _require(params, "contextName")
        if name not in state.contexts:
            raise ApiError("does_not_exist")
        del state.contexts[name]
        return {"Result": "OK"}
    if call == "context/view/includeRegexs":
        return {"includeRegexs": state.contexts[_require(params, "contextName")]["include"]}
    if call == "spider/action/scan":
        return _start_spider(state, params)
    if call in ("spider/view/status", "ascan/view/status"):
        scans = state.spiders if call.startswith("spider") else state.ascans
        return {"status": str(_scan(scans, params)["progress"])}
    if call == "spider/view/results":
        return {"results": _scan(state.spiders, params)["found"]}
    if call == "spider/view/fullResults":
        scan = _scan(state.spiders, params)
        in_scope = [
            {
                "processed": "true",
                "statusReason": "OK",
                "method": "GET",
                "reasonNotProcessed": "",
                "messageId": m["id"],
                "url": m["_url"],
                "statusCode": str(m["_status"]),
            }
            for m in scan["messages"]
        ]
        return {
            "fullResults": [
                {"urlsInScope": in_scope},
                {"urlsOutOfScope": scan["outside"]},
                {"urlsIoError": []},
            ]
        }
    if call in ("spider/action/stop", "ascan/action/stop"):
        scan = _scan(state.spiders if call.startswith("spider") else state.ascans, params)
        scan["stopped"] = True
        return {"Result": "OK"}
    if call == "pscan/view/recordsToScan":
        with state.lock:
            state.queue = max(state.queue - 5, 0)  # the passive queue drains as it is polled
            return {"recordsToScan": str(state.queue)}
    if call == "ascan/view/scanPolicyNames":
        return {"scanPolicyNames": ["Default Policy"]}
    if call == "ascan/action/scan":
        return _start_ascan(state, params)
    if call == "ascan/view/scanProgress":
        scan = _scan(state.ascans, params)
        status = "Complete" if scan["progress"] >= 100 else f"{min(scan['progress'], 99)}%"
        return {
            "scanProgress": [
                scan["site"],
                {
                    "HostProcess": [
                        {
                            "Plugin": [
                                "Cross Site Scripting (Reflected)",
                                "40012",
                                "release",
                                status,
                                "10",
                                str(scan["requests"]),
                                str(scan["alerts"]),
                            ]
                        }
                    ]
                },
            ]
        }
    if call in ("alert/view/alerts", "core/view/alerts"):
        return {"alerts": _page(state, params)}
    if call in ("alert/view/alertsSummary", "core/view/alertsSummary"):
        summary = {"High": 0, "Medium": 0, "Low": 0, "Informational": 0}
        for alert in state.alerts:
            summary[alert["risk"]] += 1
        return {"alertsSummary": summary}
    component = call.split("/", 1)[0]
    if component not in ("core", "spider", "ascan", "pscan", "alert", "context"):
        raise ApiError("no_implementor")
    raise ApiError("bad_view" if "/view/" in call else "bad_action")


def _page(state: ZapState, params: dict[str, str]) -> list[dict[str, Any]]:
    base = params.get("baseurl", "")
    matching = [
        a for a in state.alerts if a["url"].startswith(base) and a["confidence"] != "False Positive"
    ]
    if params.get("riskId"):
        if params["riskId"] not in ("0", "1", "2", "3"):
            raise ApiError("illegal_parameter")
        wanted = ("Informational", "Low", "Medium", "High")[int(params["riskId"])]
        matching = [a for a in matching if a["risk"] == wanted]
    start = int(params.get("start") or 0)
    count = int(params.get("count") or 0)
    first = max(start, 1) - 1  # effectively 1-based, as ZAP's processAlerts is
    return matching[first : first + count] if count > 0 else matching[first:]


def _start_spider(state: ZapState, params: dict[str, str]) -> dict[str, Any]:
    url = params.get("url", "")
    context = params.get("contextName") or None
    if not url:
        raise ApiError("missing_parameter")
    if context and context not in state.contexts:
        raise ApiError("does_not_exist")
    scan = {"progress": 0, "found": [], "outside": [], "messages": [], "stopped": False}
    state.spiders.append(scan)

    def crawl() -> None:
        queue, seen = [url], {url}
        while queue and not scan["stopped"]:
            current = queue.pop(0)
            try:
                response = _fetch(current)
            except requests.RequestException:
                continue
            message = state.record("GET", current, response, "2")
            scan["found"].append(current)
            scan["messages"].append(message)
            for link in _LINK.findall(response.text):
                target = urljoin(current, link)
                if target in seen:
                    continue
                seen.add(target)
                if (
                    state.in_context(target, context)
                    and urlsplit(target).netloc == urlsplit(url).netloc
                ):
                    queue.append(target)
                else:
                    scan["outside"].append(target)
            scan["progress"] = min(50 if state.stuck_spider else 99, scan["progress"] + 10)
        if not state.stuck_spider:
            scan["progress"] = 100

    threading.Thread(target=crawl, daemon=True).start()
    return {"scan": str(len(state.spiders) - 1)}


def _start_ascan(state: ZapState, params: dict[str, str]) -> dict[str, Any]:
    if params.get("scanPolicyName") and params["scanPolicyName"] != "Default Policy":
        raise ApiError("does_not_exist")
    url = params.get("url", "")
    if not url.startswith(("http://", "https://")):
        raise ApiError("illegal_parameter")
    known = {m["_url"].split("?")[0].rstrip("/") for m in state.messages}
    if url.rstrip("/") not in known and not any(k.startswith(url.rstrip("/")) for k in known):
        raise ApiError("url_not_found")
    parts = urlsplit(url)
    scan = {
        "progress": 0,
        "site": f"{parts.scheme}://{parts.netloc}",
        "requests": 0,
        "alerts": 0,
        "stopped": False,
    }
    state.ascans.append(scan)

    def attack() -> None:
        targets = [
            m
            for m in list(state.messages)
            if "?" in m["_url"] and m["_url"].startswith(url.rstrip("/"))
        ]
        for message in targets:
            base, _, query = message["_url"].partition("?")
            for name, _ in parse_qsl(query):
                probe = "<zapxss>"
                response = _fetch(f"{base}?{name}={requests.utils.quote(probe)}")
                scan["requests"] += 1
                probed = state.record("GET", response.url, response, "3")
                if probe in response.text:
                    state.add_alert(
                        "40012",
                        "40012",
                        "Cross Site Scripting (Reflected)",
                        "High",
                        "Medium",
                        "79",
                        probed,
                        name,
                        "1",
                        attack=probe,
                        evidence=probe,
                    )
                    scan["alerts"] += 1
        scan["progress"] = 100

    threading.Thread(target=attack, daemon=True).start()
    return {"scan": str(len(state.ascans) - 1)}


@contextmanager
def serve(
    api_key: str = "stand-in-key",
    stuck_spider: bool = False,
    die_after: int | None = None,
    port: int = 0,
) -> Iterator[tuple[str, ZapState]]:
    """Run the stand-in on 127.0.0.1; yields its URL (to use as ZAP's proxy address) and state."""
    state = ZapState(api_key, stuck_spider, die_after)
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    handler = type("Handler", (_Handler,), {"state": state, "server_ref": server})
    server.RequestHandlerClass = handler
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
