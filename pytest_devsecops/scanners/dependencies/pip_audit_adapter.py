"""The only module that touches pip-audit's (private) API; its errors stop here."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from packaging.version import Version

from ...core import deadline
from .model import Dependency


class QueryFailed(Exception):
    """pip-audit could not answer for one dependency; `unreachable` if the service is down."""

    def __init__(self, message: str, unreachable: bool) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def make_service(name: str, timeout: float, cache_dir: Path | None, osv_url: str) -> Any:
    from pip_audit._service import OsvService, PyPIService

    seconds = max(int(timeout), 1)
    service: Any
    if name == "osv":
        if osv_url:
            service = OsvService(cache_dir=cache_dir, timeout=seconds, osv_url=osv_url)
        else:
            service = OsvService(cache_dir=cache_dir, timeout=seconds)
    else:
        service = PyPIService(cache_dir=cache_dir, timeout=seconds)
    session = getattr(service, "session", None)
    if isinstance(session, requests.Session):
        # pip-audit's timeout bounds each read; ours bounds each whole query (see `query`).
        deadline.watch_session(session)
    return service


def query(
    service: Any, dependency: Dependency, limit: float | None = None
) -> str | list[tuple[frozenset[str], str, tuple[str, ...]]]:
    """(ids, summary, fixed versions) per vulnerability, or the reason pip-audit skipped it."""
    from pip_audit._service import ConnectionError as PipAuditConnectionError
    from pip_audit._service import ResolvedDependency, ServiceError

    spec = ResolvedDependency(name=dependency.name, version=Version(dependency.version))
    cut = deadline.cut_after(limit) if limit else contextlib.nullcontext(None)
    try:
        with cut as expired, _dropped_records() as dropped:
            answered, results = service.query(spec)
    except PipAuditConnectionError as exc:
        if expired is not None and expired.is_set():
            raise QueryFailed(f"no complete answer within {limit:g}s", unreachable=True) from exc
        raise QueryFailed(str(exc) or "connection failed", unreachable=True) from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        if expired is not None and expired.is_set():
            raise QueryFailed(f"no complete answer within {limit:g}s", unreachable=True) from exc
        raise QueryFailed(type(exc).__name__, unreachable=True) from exc
    except (ServiceError, requests.RequestException, ValueError) as exc:
        if expired is not None and expired.is_set():  # cut mid-answer: what came is no answer
            raise QueryFailed(f"no complete answer within {limit:g}s", unreachable=True) from exc
        raise QueryFailed(str(exc) or type(exc).__name__, unreachable=False) from exc
    if answered.is_skipped():
        return str(answered.skip_reason)
    if dropped:
        # pip-audit logs and skips a record it cannot read (an unknown schema_version, no
        # `affected` list): that record may be a vulnerability of this very dependency.
        raise QueryFailed(
            "the advisory service answered with a record pip-audit cannot read: "
            + "; ".join(dropped[:3]),
            unreachable=False,
        )
    return [
        (
            frozenset({result.id, *result.aliases}),
            " ".join(str(result.description).split()),
            tuple(str(v) for v in sorted(result.fix_versions)),
        )
        for result in results
    ]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(" ".join(record.getMessage().split())[:200])


@contextlib.contextmanager
def _dropped_records() -> Iterator[list[str]]:
    """The warnings pip-audit's services log while answering: each is a record they dropped."""
    handler = _Collect()
    logger = logging.getLogger("pip_audit._service")
    level = logger.level
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)  # a quieter logging setup must not hide a dropped record
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
