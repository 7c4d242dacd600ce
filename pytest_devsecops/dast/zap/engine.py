"""The ZAP engine: session, anchored context, spider, passive queue, optional active scan,
alerts with paging, and an audit of every site ZAP touched."""

from __future__ import annotations

import contextlib
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from ...core.redact import redact
from ..interface import DastOptions, DastReport, PageVisit
from ..passive import Alert
from ..scope import Scope
from .client import ZapClient, ZapError

Progress = Callable[[str, int, str], None]  # (stage, percent, detail)
PAGE_SIZE = 500
BODY_CHECKS = 50  # pages whose bodies are fetched to prove the scan saw content


def _quiet(stage: str, percent: int, detail: str) -> None:
    """No progress output (xdist workers, -q)."""


class ZapEngine:
    """Drives a running ZAP through its API; needs `zaproxy` and a ZAP daemon."""

    name = "zap"

    def __init__(
        self,
        client: ZapClient,
        policy: str = "",
        ajax_spider: bool = False,
        progress: Progress = _quiet,
    ) -> None:
        self.client = client
        self.policy = policy
        self.ajax_spider = ajax_spider
        self.progress = progress

    def scan(self, scope: Scope, start: str, options: DastOptions) -> DastReport:
        if options.auth.configured:
            # Not wired to ZAP's contexts and users yet: scanning anyway would quietly scan the
            # logged-out app only and pass.
            return DastReport(
                self.name,
                start,
                error="authenticated scans (devsecops_dast_login_*, devsecops_dast_header_env, "
                "devsecops_dast_auth) run on the built-in engine only; set "
                "devsecops_dast_engine = builtin",
            )
        deadline = time.monotonic() + options.max_seconds
        try:
            return self._scan(scope, start, options, deadline)
        except ZapError as exc:
            return DastReport(self.name, start, error=f"ZAP: {exc}")

    def _scan(self, scope: Scope, start: str, options: DastOptions, deadline: float) -> DastReport:
        zap, c = self.client.zap, self.client
        c.ok("core/action/newSession", zap.core.new_session, overwrite=True)
        context = f"devsecops-{secrets.token_hex(4)}"
        context_id = c.number("context/action/newContext", zap.context.new_context, context)
        # Full-match regex on the URL without its query: the target's origin and nothing else.
        c.ok(
            "context/action/includeInContext",
            zap.context.include_in_context,
            context,
            re.escape(scope.origin) + "(?:/.*)?",
        )
        c.listing("core/action/accessUrl", zap.core.access_url, start)
        for path in options.paths:
            c.listing(
                "core/action/accessUrl",
                zap.core.access_url,
                start.rstrip("/") + "/" + path.lstrip("/"),
            )
        spider = c.number(
            "spider/action/scan", zap.spider.scan, url=start, contextname=context, recurse=True
        )
        self._wait(
            "spider",
            lambda: c.number("spider/view/status", zap.spider.status, spider),
            deadline,
            lambda: zap.spider.stop(spider),
        )
        if self.ajax_spider:
            c.ok("ajaxSpider/action/scan", zap.ajaxSpider.scan, url=start, contextname=context)
            self._wait_ajax(deadline)
        self._drain(deadline)
        if options.active:
            kwargs: dict[str, Any] = {"url": start, "recurse": True, "contextid": context_id}
            if self.policy:
                kwargs["scanpolicyname"] = self.policy
            ascan = c.number("ascan/action/scan", zap.ascan.scan, **kwargs)
            self._wait(
                "active scan",
                lambda: c.number("ascan/view/status", zap.ascan.status, ascan),
                deadline,
                lambda: zap.ascan.stop(ascan),
                lambda: self._rules(ascan),
            )
            self._drain(deadline)
        pages, outside = self._pages(spider)
        alerts = self._alerts(scope)
        self._audit(scope)
        # Leave ZAP as we found it; its history stays for anyone inspecting the session.
        with contextlib.suppress(ZapError):
            c.ok("context/action/removeContext", zap.context.remove_context, context)
        return DastReport(self.name, start, tuple(pages), tuple(alerts), tuple(outside))

    def _wait(
        self,
        stage: str,
        status: Callable[[], int],
        deadline: float,
        stop: Callable[[], Any],
        detail: Callable[[], str] = lambda: "",
    ) -> None:
        while True:
            percent = status()
            self.progress(stage, percent, detail())
            if percent >= 100:
                return
            if time.monotonic() > deadline:
                stop()
                raise ZapError(
                    f"the {stage} did not finish within the time limit "
                    f"(stuck at {percent}%); raise devsecops_dast_max_seconds"
                )
            time.sleep(0.5)

    def _wait_ajax(self, deadline: float) -> None:
        zap, c = self.client.zap, self.client
        while c.call("ajaxSpider/view/status", lambda: zap.ajaxSpider.status) == "running":
            self.progress("ajax spider", 50, "")
            if time.monotonic() > deadline:
                zap.ajaxSpider.stop()
                raise ZapError("the AJAX spider did not finish within the time limit")
            time.sleep(0.5)

    def _drain(self, deadline: float) -> None:
        zap, c = self.client.zap, self.client
        while True:
            left = c.number("pscan/view/recordsToScan", lambda: zap.pscan.records_to_scan)
            self.progress("passive queue", 100 if not left else 0, f"{left} records left")
            if not left:
                return
            if time.monotonic() > deadline:
                raise ZapError(f"the passive scan queue did not drain in time ({left} left)")
            time.sleep(0.2)

    def _rules(self, scan_id: int) -> str:
        """`ascan/view/scanProgress` condensed: the rule running now."""
        try:
            progress = self.client.call(
                "ascan/view/scanProgress", self.client.zap.ascan.scan_progress, scan_id
            )
            plugins = progress[1]["HostProcess"]
        except (ZapError, IndexError, KeyError, TypeError):
            return ""
        running = [p["Plugin"] for p in plugins if p["Plugin"][3].endswith("%")]
        return f"{running[0][0]} {running[0][3]}" if running else ""

    def _pages(self, spider: int) -> tuple[list[PageVisit], list[str]]:
        zap, c = self.client.zap, self.client
        full = c.listing("spider/view/fullResults", zap.spider.full_results, spider)
        sections: dict[str, Any] = {k: v for part in full for k, v in part.items()}
        pages = []
        for index, item in enumerate(sections.get("urlsInScope", [])):
            status = int(item.get("statusCode") or 0)
            size = 1
            if index < BODY_CHECKS and item.get("messageId"):
                message = c.call("core/view/message", zap.core.message, item["messageId"])
                size = (
                    len(str(message.get("responseBody", "")).strip())
                    if isinstance(message, dict)
                    else 0
                )
            pages.append(PageVisit(item.get("method", "GET"), item["url"], status, "", size))
        for item in sections.get("urlsIoError", []):
            pages.append(
                PageVisit(item.get("method", "GET"), item["url"], 0, "I/O error in ZAP's spider")
            )
        return pages, [str(url) for url in sections.get("urlsOutOfScope", [])]

    def _alerts(self, scope: Scope) -> list[Alert]:
        zap, c = self.client.zap, self.client
        alerts, start = [], 1  # ZAP's paging is effectively 1-based
        while True:
            batch = c.listing(
                "alert/view/alerts",
                zap.alert.alerts,
                baseurl=scope.origin,
                start=start,
                count=PAGE_SIZE,
            )
            alerts += [_alert(item) for item in batch if isinstance(item, dict)]
            if len(batch) < PAGE_SIZE:
                return [alert for alert in alerts if alert.confidence != "False Positive"]
            start += PAGE_SIZE

    def _audit(self, scope: Scope) -> None:
        """Every site ZAP sent requests to must be the target's origin."""
        sites = self.client.listing("core/view/sites", lambda: self.client.zap.core.sites)
        outside = [site for site in sites if not scope.contains(str(site).rstrip("/") + "/")]
        if outside:
            raise ZapError(
                f"ZAP sent requests outside the target's origin: {', '.join(map(str, outside))}"
            )


def fetch_alerts(client: ZapClient, origin: str) -> list[Alert]:
    """Every alert under `origin`, page by page (ZAP's paging is effectively 1-based)."""
    alerts: list[Alert] = []
    start = 1
    while True:
        batch = client.listing(
            "alert/view/alerts",
            client.zap.alert.alerts,
            baseurl=origin,
            start=start,
            count=PAGE_SIZE,
        )
        alerts += [_alert(item) for item in batch if isinstance(item, dict)]
        if len(batch) < PAGE_SIZE:
            return [alert for alert in alerts if alert.confidence != "False Positive"]
        start += PAGE_SIZE


def _alert(item: dict[str, Any]) -> Alert:
    def text(key: str) -> str:
        return str(item.get(key) or "")

    cwe = text("cweid")
    plugin = text("pluginId")
    return Alert(
        rule=text("alertRef") or plugin,
        method=text("method") or "GET",
        url=text("url"),
        param=text("param"),
        evidence=redact(text("evidence"))[:200],  # evidence may carry tokens or passwords
        confidence=text("confidence") or "Medium",
        attack=redact(text("attack"))[:200],
        other="",
        name=text("name") or text("alert"),
        risk=text("risk") or "Informational",
        cwe=int(cwe) if cwe.isdigit() else 0,
        solution=text("solution")[:500],
        plugin_id=int(plugin) if plugin.isdigit() else 0,
    )
