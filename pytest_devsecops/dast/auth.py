"""Authenticated scans: headers and cookies handed over by the user, or a form login with
credentials read from environment variables, repeated when the session is lost."""

from __future__ import annotations

import dataclasses
import os
import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from . import html

if TYPE_CHECKING:
    from .http import HttpClient, Response


class AuthError(Exception):
    """The login could not be done; the message never contains a credential."""


# How a scan's `stopped` reason starts when the session was lost for good: unlike the user's
# own limits (pages, time, requests) that is a failure of the scan, never a deliberate stop.
SESSION_LOST = "the session was lost"


@dataclasses.dataclass(frozen=True)
class LoginConfig:
    """A form login: the page, the field names, and the *names* of the variables that hold the
    credentials (the values are read when the scan starts and are never printed)."""

    url: str
    username_field: str = "username"
    password_field: str = "password"  # noqa: S105 - a field name, not a password
    username_env: str = ""
    password_env: str = ""
    logged_in_pattern: str = ""
    logged_out_pattern: str = ""


@dataclasses.dataclass(frozen=True)
class AuthConfig:
    """How the scan authenticates (all empty: it does not)."""

    headers: tuple[tuple[str, str], ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()
    login: LoginConfig | None = None
    # (header, environment variable) from ini devsecops_dast_header_env: a token API scanned
    # without writing a test; values are read when the scan starts.
    header_env: tuple[tuple[str, str], ...] = ()

    @property
    def configured(self) -> bool:
        return bool(self.headers or self.cookies or self.login or self.header_env)


class Session:
    """Keeps the scan's client logged in."""

    def __init__(self, client: HttpClient, config: AuthConfig, start: str) -> None:
        self.client = client
        self.config = config
        self.start = start
        self.logins = 0
        self._in_row = 0  # logins since the last answer that showed the session alive
        self.cookies: frozenset[str] = frozenset()  # the session's own cookies (never probed)
        login = config.login
        self.logged_out = (
            re.compile(login.logged_out_pattern) if login and login.logged_out_pattern else None
        )
        self.logged_in = (
            re.compile(login.logged_in_pattern) if login and login.logged_in_pattern else None
        )
        self.login_path = urlsplit(urljoin(start, login.url)).path if login else ""

    def begin(self) -> None:
        missing = [env for _name, env in self.config.header_env if not os.environ.get(env)]
        if missing:
            raise AuthError(
                "the header credentials are not set: environment variable(s) "
                + ", ".join(missing)
                + " (devsecops_dast_header_env)"
            )
        for name, env in self.config.header_env:
            self.client.session.headers[name] = os.environ[env]
        for name, value in self.config.headers:
            self.client.session.headers[name] = value
        host = urlsplit(self.start).hostname or ""
        for name, value in self.config.cookies:
            self.client.session.cookies.set(name, value, domain=host, path="/")
        if self.config.login:
            self.login()
        if self.config.configured:
            self.cookies = frozenset(cookie.name for cookie in self.client.session.cookies)

    def lost(self, response: Response) -> bool:
        """Whether this answer shows the session is gone (logged-out text, or the login page)."""
        gone = self._gone(response)
        if not gone:
            self._in_row = 0
        return gone

    def _gone(self, response: Response) -> bool:
        if self.config.login is None:
            return False
        if self.logged_out is not None and self.logged_out.search(response.body[:200_000]):
            return True
        if response.redirected_from and urlsplit(response.url).path == self.login_path:
            return urlsplit(response.redirected_from).path != self.login_path
        return False

    def login(self) -> None:
        login = self.config.login
        if login is None:
            return
        # Active probes may end the session now and then (a payload in a session cookie, say);
        # only logins that never lead to a live page mean the logged-out pattern is wrong.
        if self._in_row >= 5:
            raise AuthError("logged out again after 5 logins: check the logged-out pattern")
        self.logins += 1
        self._in_row += 1
        user = os.environ.get(login.username_env, "") if login.username_env else ""
        password = os.environ.get(login.password_env, "") if login.password_env else ""
        if not user or not password:
            missing = [
                n for n, v in ((login.username_env, user), (login.password_env, password)) if not v
            ]
            raise AuthError(
                "the login credentials are not set: environment variable(s) "
                + ", ".join(name or "(unnamed: set devsecops_dast_login_*_env)" for name in missing)
            )
        url = urljoin(self.start, login.url)
        page = self.client.fetch("GET", url)
        form = _login_form(page, login.password_field)
        fields = {name: value for name, _, value in form.fields} if form else {}
        fields[_field(form, login.username_field, _USER_KINDS)] = user
        fields[_field(form, login.password_field, ("password",))] = password
        action = form.action if form else url
        method = form.method if form and form.method == "POST" else "POST"
        answer = self.client.fetch(method, action, data=fields)
        if answer.error or answer.status >= 400:
            raise AuthError(f"the login at {url} answered {answer.status or answer.error}")
        if self.logged_in is not None and not self.logged_in.search(answer.body[:200_000]):
            raise AuthError(f"the login at {url} did not show devsecops_dast_logged_in_pattern")
        # _gone, not lost: the login's own answer must not reset the count of logins in a row
        # (only a crawled page or probe answer that shows the session alive does).
        if self._gone(answer) or _shows_login_form(answer, self.login_path):
            raise AuthError(f"the login at {url} was refused (still logged out)")


_USER_KINDS = ("text", "email", "")  # the inputs a user name goes into


def _login_form(page: Response, password_field: str) -> html.Form | None:
    """The form with the configured password field, else the one form with a password input."""
    if page.error or not page.is_html:
        return None
    forms = html.parse(page.url, page.body).forms
    named = next((f for f in forms if password_field in f.field_names()), None)
    if named is not None:
        return named
    with_password = [f for f in forms if any(kind == "password" for _, kind, _ in f.fields)]
    return with_password[0] if len(with_password) == 1 else None


def _field(form: html.Form | None, configured: str, kinds: tuple[str, ...]) -> str:
    """The configured field name; if the form has no such field but exactly one input of the
    right kind (`email` where `username` was assumed, say), that one."""
    if form is None or configured in form.field_names():
        return configured
    candidates = [name for name, kind, _ in form.fields if kind in kinds]
    return candidates[0] if len(candidates) == 1 else configured


def _shows_login_form(answer: Response, login_path: str) -> bool:
    """The login page answered again with its password form: the credentials were refused."""
    if urlsplit(answer.url).path != login_path or not answer.is_html:
        return False
    forms = html.parse(answer.url, answer.body).forms
    return any(kind == "password" for form in forms for _, kind, _ in form.fields)
