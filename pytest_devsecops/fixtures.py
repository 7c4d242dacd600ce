"""The fixtures that exist whenever the plugin is installed, switched on or not.

A test that asks for one has opted in: `devsecops_app`, `devsecops_dast`, `devsecops_dast_auth`
and `devsecops_http` (DAST inside tests) and `devsecops_image` (a container image the suite
built). This module is registered in every pytest run, so it holds the fixture functions and
nothing else: each imports what it needs (the engine, requests, the image scanner) when used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .dast.traffic import CheckedSession
    from .dast_check import DastCheck
    from .image_check import ImageCheck
    from .late import LateFindings


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


@pytest.fixture(scope="session")
def devsecops_dast_auth() -> dict[str, dict[str, str]]:
    """Credentials for ``devsecops_dast`` scans: override it to return ``{"headers": {...},
    "cookies": {...}}``, e.g. a bearer token from your own login helper. Never printed."""
    return {}


@pytest.fixture
def devsecops_dast(
    request: pytest.FixtureRequest,
    devsecops_app: str,
    subtests: Any,
    devsecops_dast_auth: Any,
) -> DastCheck:
    """A DAST scan of ``devsecops_app`` set up by ``@pytest.mark.dast(...)``; call ``.check()``."""
    from . import options_dast
    from .dast_check import MARKER_OPTIONS, DastCheck, auth_from, with_overrides
    from .late_state import late_findings

    target, base_options, min_pages = options_dast.dast_settings(request.config)
    base_options = dataclasses.replace(
        base_options, auth=auth_from(devsecops_dast_auth, base_options.auth)
    )
    marker = request.node.get_closest_marker("dast")
    overrides = dict(marker.kwargs) if marker else {}
    unknown = set(overrides) - MARKER_OPTIONS
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.dast: unknown option(s) {', '.join(sorted(unknown))}"
        )
    return DastCheck(
        devsecops_app,
        with_overrides(base_options, overrides),
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
    from .dast_check import zap_proxy as zap_proxy_of
    from .late_state import late_findings

    target, _, _ = options_dast.dast_settings(pytestconfig)
    try:
        scope = resolve_scope(devsecops_app, target.allowed_hosts)
    except ScopeError as exc:
        pytest.fail(f"pytest-devsecops refused the target: {exc}", pytrace=False)
    late: LateFindings = late_findings(pytestconfig)
    zap_proxy = zap_proxy_of(pytestconfig)
    if zap_proxy:
        late.zap_traffic = (zap_proxy, scope.origin)
    session = CheckedSession(devsecops_app, scope, late.traffic, zap_proxy)
    yield session
    session.close()


@pytest.fixture
def devsecops_image(request: pytest.FixtureRequest, subtests: Any) -> ImageCheck:
    """Scans a container image with ``.check("name:tag")`` (or the image named by
    ``@pytest.mark.container_image(...)``): packages against OSV, config checks, secrets."""
    from .image_check import ImageCheck
    from .late_state import late_findings

    marker = request.node.get_closest_marker("container_image")
    default = ""
    if marker is not None:
        if len(marker.args) != 1 or not isinstance(marker.args[0], str) or marker.kwargs:
            raise pytest.UsageError(
                '@pytest.mark.container_image takes one image name: ("shop:1.0")'
            )
        default = marker.args[0]
    return ImageCheck(request.config, default, late_findings(request.config), subtests)
