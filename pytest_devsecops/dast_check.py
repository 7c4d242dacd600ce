"""What the `devsecops_dast` fixture gives a test: a scan whose findings are subtests.

Imported by the fixtures in `fixtures.py` when a test uses them, never at start-up.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .core.finding import ScanResult
    from .dast.auth import AuthConfig
    from .dast.interface import DastOptions
    from .late import LateFindings

MARKER_OPTIONS = {
    "active",
    "paths",
    "max_duration",
    "max_pages",
    "max_depth",
    "time_based",
    "exclude",
}


@dataclasses.dataclass
class DastCheck:
    """What `devsecops_dast` gives a test: `check()` scans and reports each finding as a subtest."""

    base_url: str
    options: DastOptions
    min_pages: int
    allowed_hosts: tuple[str, ...]
    late: LateFindings
    subtests: Any
    result: ScanResult | None = None

    def check(self, **overrides: Any) -> ScanResult:
        """Scan the app; each finding is a subtest (failed, or xfailed when accepted or below the
        gate); the test itself fails when the scan could not run or saw too little."""
        __tracebackhide__ = True
        from . import in_test
        from .core import sanitise
        from .core.fingerprint import assign
        from .dast import canary
        from .dast.engine import BuiltinEngine
        from .dast.interface import DastReport
        from .dast.scope import ScopeError, resolve_scope
        from .scanners.dast import build_result

        scan_options = with_overrides(self.options, overrides)
        try:
            scope = resolve_scope(self.base_url, self.allowed_hosts)
        except ScopeError as exc:
            pytest.fail(f"pytest-devsecops refused the target: {exc}", pytrace=False)
        started = time.monotonic()
        control = canary.check(scan_options.active)
        report = (
            DastReport("builtin", self.base_url, error=control)
            if control
            else BuiltinEngine().scan(scope, self.base_url.rstrip("/") + "/", scan_options)
        )
        result = build_result(
            "dast",
            "built-in engine",
            report,
            self.min_pages,
            self.late.config_file,
            time.monotonic() - started,
        )
        result = sanitise.result(result)  # the same redaction and escaping as every scanner
        result = dataclasses.replace(result, findings=tuple(assign(result.findings)))
        self.result = result
        in_test.report(self.late, self.subtests, result)
        return result


def with_overrides(base: DastOptions, overrides: dict[str, Any]) -> DastOptions:
    from .dast.interface import DastOptions

    values = dict(overrides)
    if "max_duration" in values:
        values["max_seconds"] = float(values.pop("max_duration"))
    if "paths" in values:
        values["paths"] = tuple(values["paths"])
    if "exclude" in values:  # added to the logout-like defaults, never replacing them
        values["exclude"] = base.exclude + tuple(values["exclude"])
    unknown = set(values) - {field.name for field in dataclasses.fields(DastOptions)}
    if unknown:
        raise pytest.UsageError(f"unknown DAST option(s): {', '.join(sorted(unknown))}")
    return dataclasses.replace(base, **values)


def auth_from(given: Any, base: AuthConfig) -> AuthConfig:
    if not isinstance(given, dict) or set(given) - {"headers", "cookies"}:
        raise pytest.UsageError(
            'devsecops_dast_auth must return {"headers": {...}, "cookies": {...}} (either optional)'
        )
    pairs = {}
    for kind in ("headers", "cookies"):
        values = given.get(kind) or {}
        if not isinstance(values, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in values.items()
        ):
            raise pytest.UsageError(f"devsecops_dast_auth: {kind} must map strings to strings")
        pairs[kind] = tuple(values.items())
    return dataclasses.replace(base, headers=pairs["headers"], cookies=pairs["cookies"])


def zap_proxy(config: pytest.Config) -> str:
    """ZAP's address when test traffic should go through a running ZAP, else ""."""
    from . import options_dast
    from .dast.zap.client import ZapClient, ZapError

    choice = options_dast.engine_settings(config)
    if choice.mode == "builtin" or not choice.zap.url:
        return ""
    try:
        ZapClient(choice.zap.url, os.environ.get("ZAP_API_KEY", "")).version()
    except ZapError as exc:
        # auto too: a configured ZAP that does not answer is a failure, not a quiet fallback.
        pytest.fail(f"pytest-devsecops: test traffic cannot go through ZAP: {exc}", pytrace=False)
    return choice.zap.url
