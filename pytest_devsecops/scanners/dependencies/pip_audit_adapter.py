"""The only module that touches pip-audit's (private) API; its errors stop here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from packaging.version import Version

from .model import Dependency


class QueryFailed(Exception):
    """pip-audit could not answer for one dependency; `unreachable` if the service is down."""

    def __init__(self, message: str, unreachable: bool) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def make_service(name: str, timeout: float, cache_dir: Path | None, osv_url: str) -> Any:
    from pip_audit._service import OsvService, PyPIService

    seconds = max(int(timeout), 1)
    if name == "osv":
        if osv_url:
            return OsvService(cache_dir=cache_dir, timeout=seconds, osv_url=osv_url)
        return OsvService(cache_dir=cache_dir, timeout=seconds)
    return PyPIService(cache_dir=cache_dir, timeout=seconds)


def query(
    service: Any, dependency: Dependency
) -> str | list[tuple[frozenset[str], str, tuple[str, ...]]]:
    """(ids, summary, fixed versions) per vulnerability, or the reason pip-audit skipped it."""
    from pip_audit._service import ConnectionError as PipAuditConnectionError
    from pip_audit._service import ResolvedDependency, ServiceError

    spec = ResolvedDependency(name=dependency.name, version=Version(dependency.version))
    try:
        answered, results = service.query(spec)
    except PipAuditConnectionError as exc:
        raise QueryFailed(str(exc) or "connection failed", unreachable=True) from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise QueryFailed(type(exc).__name__, unreachable=True) from exc
    except (ServiceError, requests.RequestException, ValueError) as exc:
        raise QueryFailed(str(exc) or type(exc).__name__, unreachable=False) from exc
    if answered.is_skipped():
        return str(answered.skip_reason)
    return [
        (
            frozenset({result.id, *result.aliases}),
            " ".join(str(result.description).split()),
            tuple(str(v) for v in sorted(result.fix_versions)),
        )
        for result in results
    ]
