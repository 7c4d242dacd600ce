"""Alerts ZAP raised while the project's tests used it as their HTTP proxy."""

from __future__ import annotations

import os
import time

from ..passive import Alert
from .client import ZapClient, ZapError
from .engine import fetch_alerts


def traffic_alerts(proxy: str, origin: str, drain_seconds: float = 60.0) -> list[Alert]:
    """Wait for ZAP's passive queue to drain, then read every alert on the app's origin."""
    client = ZapClient(proxy, os.environ.get("ZAP_API_KEY", ""))
    deadline = time.monotonic() + drain_seconds
    while left := client.number(
        "pscan/view/recordsToScan", lambda: client.zap.pscan.records_to_scan
    ):
        if time.monotonic() > deadline:
            raise ZapError(
                f"ZAP's passive queue still held {left} records after {drain_seconds:g}s"
            )
        time.sleep(0.2)
    return fetch_alerts(client, origin)
