"""Fixtures for DAST inside tests: the running app, a scan whose findings are subtests, and a
client whose traffic is checked passively. Available whenever the plugin is installed."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .late_state import late_findings

# Registered whenever the plugin is installed: the DAST machinery (requests, the engine) is
# imported by the fixture that needs it, never by a suite that does not use these fixtures.
if TYPE_CHECKING:
    from .core.finding import ScanResult
    from .dast.auth import AuthConfig
    from .dast.interface import DastOptions
    from .dast.traffic import CheckedSession
    from .late import LateFindings

_MARKER_OPTIONS = {
    "active",
    "paths",
    "max_duration",
    "max_pages",
    "max_depth",
    "time_based",
    "exclude",
}


@pytest.fixture(scope="session")
def devsecops_app(pytestconfig: pytest.Config) -> Iterator[str]:
    """Base URL of the app under test, started once per session (per xdist worker) and stopped
    afterwards. Override this fixture to hand over an app you start yourself, e.g.
    ``return live_server.url`` with pytest-django or pytest-flask."""
    from . import options_dast
    from .dast.app import AppError
    from .dast.target import running

    target, _, _ = options_dast.dast_settings(pytestconfig)
    try:
        with running(target) as base:
            yield base
    except AppError as exc:
        pytest.fail(f"pytest-devsecops could not start the app under test: {exc}", pytrace=False)


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

        scan_options = _with(self.options, overrides)
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


def _with(base: DastOptions, overrides: dict[str, Any]) -> DastOptions:
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


@pytest.fixture(scope="session")
def devsecops_dast_auth() -> dict[str, dict[str, str]]:
    """Credentials for ``devsecops_dast`` scans: override it to return ``{"headers": {...},
    "cookies": {...}}``, e.g. a bearer token from your own login helper. Never printed."""
    return {}


def _auth(given: Any, base: AuthConfig) -> AuthConfig:
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


@pytest.fixture
def devsecops_dast(
    request: pytest.FixtureRequest,
    devsecops_app: str,
    subtests: Any,
    devsecops_dast_auth: Any,
) -> DastCheck:
    """A DAST scan of ``devsecops_app`` set up by ``@pytest.mark.dast(...)``; call ``.check()``."""
    from . import options_dast

    target, base_options, min_pages = options_dast.dast_settings(request.config)
    base_options = dataclasses.replace(
        base_options, auth=_auth(devsecops_dast_auth, base_options.auth)
    )
    marker = request.node.get_closest_marker("dast")
    overrides = dict(marker.kwargs) if marker else {}
    unknown = set(overrides) - _MARKER_OPTIONS
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.dast: unknown option(s) {', '.join(sorted(unknown))}"
        )
    return DastCheck(
        devsecops_app,
        _with(base_options, overrides),
        min_pages,
        target.allowed_hosts,
        late_findings(request.config),
        subtests,
    )


@pytest.fixture(scope="session")
def devsecops_http(pytestconfig: pytest.Config, devsecops_app: str) -> Iterator[CheckedSession]:
    """A ``requests.Session`` for functional tests against the app: relative URLs go to
    ``devsecops_app``, and every response is checked by the passive DAST rules; the findings are
    reported at the end of the session as ``devsecops/dast-traffic::...`` results."""
    from . import options_dast
    from .dast.scope import ScopeError, resolve_scope
    from .dast.traffic import CheckedSession

    target, _, _ = options_dast.dast_settings(pytestconfig)
    try:
        scope = resolve_scope(devsecops_app, target.allowed_hosts)
    except ScopeError as exc:
        pytest.fail(f"pytest-devsecops refused the target: {exc}", pytrace=False)
    late: LateFindings = late_findings(pytestconfig)
    zap_proxy = _zap_proxy(pytestconfig)
    if zap_proxy:
        late.zap_traffic = (zap_proxy, scope.origin)
    session = CheckedSession(devsecops_app, scope, late.traffic, zap_proxy)
    yield session
    session.close()


def _zap_proxy(config: pytest.Config) -> str:
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


def __getattr__(name: str) -> Any:
    if name == "TrafficLog":  # re-exported, imported on first use
        from .dast.traffic import TrafficLog

        return TrafficLog
    raise AttributeError(name)


__all__ = ["DastCheck", "devsecops_app", "devsecops_dast", "devsecops_dast_auth", "devsecops_http"]
