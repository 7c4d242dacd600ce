"""A checked wrapper around `zapv2`: every answer is validated, every failure becomes ZapError.

With its defaults `zapv2` does not raise on API errors: it returns the error *code string*
(`url_not_found`, `does_not_exist`) where an id or a list was expected, and a wrong API key makes
ZAP close the connection without a response. Nothing here passes such an answer on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from ...core.redact import redact
from ...missing import install_line

# ZAP's ApiException codes (CONTRACT §1.3): zapv2 returns these strings instead of raising.
ERROR_CODES = frozenset(
    {
        "bad_format",
        "bad_type",
        "no_implementor",
        "bad_action",
        "bad_view",
        "bad_other",
        "bad_pconn",
        "internal_error",
        "missing_parameter",
        "url_not_found",
        "href_not_found",
        "scan_in_progress",
        "disabled",
        "already_exists",
        "does_not_exist",
        "illegal_parameter",
        "context_not_found",
        "content_type_not_supported",
        "user_not_found",
        "url_not_in_context",
        "bad_api_key",
        "script_not_found",
        "bad_script_format",
        "no_access",
        "mode_violation",
        "bad_external_data",
        "bad_state",
    }
)


class ZapError(Exception):
    """ZAP could not do what was asked; the message says what and (redacted) why."""


class ZapClient:
    """The ZAP API calls the engine makes, each one checked."""

    def __init__(self, url: str, api_key: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._key = api_key
        self.zap = _zapv2(self.url, api_key, timeout)

    def call(self, what: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one API call; transport errors, error codes and odd answers raise ZapError."""
        try:
            value = function(*args, **kwargs)
        except requests.exceptions.ProxyError as exc:
            raise ZapError(
                f"{what}: ZAP at {self.url} closed the connection or is not listening "
                "(a wrong API key looks like this: check ZAP_API_KEY)"
            ) from exc
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            raise ZapError(f"{what}: {self._clean(str(exc))}") from exc
        if isinstance(value, str) and value in ERROR_CODES:
            raise ZapError(f"{what}: ZAP answered {value!r}")
        return value

    def number(self, what: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        value = self.call(what, function, *args, **kwargs)
        if not (isinstance(value, str) and value.isdigit()):
            raise ZapError(
                f"{what}: expected a number from ZAP, got {self._clean(repr(value))[:80]}"
            )
        return int(value)

    def ok(self, what: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        value = self.call(what, function, *args, **kwargs)
        if value != "OK":
            raise ZapError(f"{what}: ZAP answered {self._clean(repr(value))[:80]} instead of OK")

    def listing(
        self, what: str, function: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> list[Any]:
        value = self.call(what, function, *args, **kwargs)
        if not isinstance(value, list):
            raise ZapError(f"{what}: expected a list from ZAP, got {self._clean(repr(value))[:80]}")
        return value

    def version(self) -> str:
        value = self.call("core/view/version", lambda: self.zap.core.version)
        if not isinstance(value, str):
            raise ZapError("core/view/version: unexpected answer")
        return value

    def _clean(self, text: str) -> str:
        return redact(text, extra=[self._key])


def _zapv2(url: str, api_key: str, timeout: float) -> Any:
    """A `zapv2.ZAPv2` whose API requests have a timeout and ignore proxy variables.

    zapv2 sends each call through a new `requests.Session` with no timeout (a hung ZAP would hang
    pytest) that honours HTTP(S)_PROXY/NO_PROXY; only that transport method is replaced.
    """
    try:
        from zapv2 import ZAPv2
    except ImportError as exc:
        raise ZapError(
            f"the zaproxy package (zapv2) is not installed: {install_line('zaproxy')}"
        ) from exc

    proxies = {"http": url, "https": url}

    class TimedZap(ZAPv2):  # type: ignore[misc]
        def _request_api(
            self, api_url: str, query: Any = None, method: str = "GET", body: Any = None
        ) -> requests.Response:
            if not api_url.startswith("http://zap/"):
                raise ValueError("refusing to send the API key to a non-ZAP URL")
            with requests.Session() as session:
                session.trust_env = False
                if api_key:
                    session.headers["X-ZAP-API-Key"] = api_key
                return session.request(
                    method, api_url, params=query, data=body, proxies=proxies, timeout=timeout
                )

    return TimedZap(apikey=api_key or None, proxies=proxies)
