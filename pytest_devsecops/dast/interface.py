"""The DAST engine contract, shared by the built-in engine and ZAP: scan an origin, get alerts."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Protocol

from .auth import AuthConfig

if TYPE_CHECKING:
    from .passive import Alert
    from .scope import Scope

# Path globs never requested by default: following a logout link ends an authenticated scan.
DEFAULT_EXCLUDE = (
    "*logout*",
    "*log-out*",
    "*log_out*",
    "*signout*",
    "*sign-out*",
    "*sign_out*",
    "*logoff*",
)


@dataclasses.dataclass(frozen=True)
class DastOptions:
    """What one scan may do."""

    active: bool = False
    paths: tuple[str, ...] = ()  # extra start paths, e.g. pages not linked from "/"
    max_pages: int = 100
    max_depth: int = 5
    max_seconds: float = 60.0
    timeout: float = 10.0
    requests_per_param: int = 60
    max_requests: int = 5000
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE  # path globs never requested (logout and the like)
    time_based: bool = False  # time-based SQL injection probes (slow: opt-in)
    auth: AuthConfig = dataclasses.field(default_factory=AuthConfig)
    openapi_url: str = ""  # an OpenAPI description at this path on the target
    openapi_file: str = ""  # ... or in this file


@dataclasses.dataclass(frozen=True)
class PageVisit:
    """One page the scan saw: its URL, status, and the error if there was no answer."""

    method: str
    url: str
    status: int
    error: str = ""
    size: int = 0  # body length: an empty 200 is an answer, not evidence
    redirected_from: str = ""  # the URL asked for, when the answer came after redirects
    login_form: bool = False  # the page holds a form with a password field
    authenticated: bool = False  # fetched while the scan was logged in


@dataclasses.dataclass(frozen=True)
class DastReport:
    """What a scan saw and found; the scanner turns it into findings and coverage."""

    engine: str
    target: str
    pages: tuple[PageVisit, ...] = ()
    alerts: tuple[Alert, ...] = ()
    out_of_scope: tuple[str, ...] = ()
    stopped: str = ""
    requests: int = 0
    error: str = ""
    authenticated: str = ""  # how the scan logged in ("" when it did not)
    notes: tuple[str, ...] = ()
    unreachable: tuple[tuple[str, str], ...] = ()  # (API operation, why it was not reached)

    @property
    def answered(self) -> tuple[PageVisit, ...]:
        """Pages that answered below 400 with a body: the evidence that the scan saw the app."""
        return tuple(
            page
            for page in self.pages
            if not page.error and 0 < page.status < 400 and page.size > 0
        )


class DastEngine(Protocol):
    """Scans the origin in `scope` starting at `start`; reports problems instead of raising."""

    name: str

    def scan(self, scope: Scope, start: str, options: DastOptions) -> DastReport: ...
