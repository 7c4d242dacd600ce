"""The DAST and ZAP settings: the app under test, scan limits, and which engine runs.

Fixtures read these even when --devsecops is off (a test that asks for them has opted in).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .dast import rules_file
from .dast.auth import AuthConfig, LoginConfig
from .dast.interface import DEFAULT_EXCLUDE, DastOptions
from .dast.rules_file import RuleLevels
from .dast.target import TargetConfig
from .dast.zap.selection import ENGINES, EngineChoice, ZapSettings
from .settings import parse_count, parse_seconds


def dast_settings(config: pytest.Config) -> tuple[TargetConfig, DastOptions, int]:
    """The DAST part of the settings, also for fixtures when --devsecops is off."""
    try:
        return dast(config, Path(config.rootpath))
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-devsecops: {exc}") from None


def dast(config: pytest.Config, root: Path) -> tuple[TargetConfig, DastOptions, int]:
    target = TargetConfig(
        wsgi=str(config.getini("devsecops_app")).strip(),
        command=str(config.getini("devsecops_app_command")).strip(),
        url=str(config.getini("devsecops_target")).strip(),
        ready_path=str(config.getini("devsecops_app_ready_path")).strip() or "/",
        start_timeout=parse_seconds(
            str(config.getini("devsecops_app_start_timeout")), "devsecops_app_start_timeout"
        ),
        allowed_hosts=tuple(config.getini("devsecops_allowed_hosts")),
        cwd=root,
    )
    if sum(map(bool, (target.wsgi, target.command, target.url))) > 1:
        raise ValueError("set only one of devsecops_app, devsecops_app_command, devsecops_target")
    openapi_url, openapi_file = _openapi(str(config.getini("devsecops_openapi")).strip(), root)
    dast_options = DastOptions(
        active=bool(config.getini("devsecops_dast_active")),
        paths=tuple(config.getini("devsecops_dast_paths")),
        max_pages=parse_count(
            str(config.getini("devsecops_dast_max_pages")), key="devsecops_dast_max_pages"
        ),
        max_seconds=parse_seconds(
            str(config.getini("devsecops_dast_max_seconds")), "devsecops_dast_max_seconds"
        ),
        exclude=DEFAULT_EXCLUDE + tuple(config.getini("devsecops_dast_exclude")),
        time_based=bool(config.getini("devsecops_dast_time_based")),
        auth=AuthConfig(login=login_settings(config), header_env=header_env(config)),
        openapi_url=openapi_url,
        openapi_file=openapi_file,
    )
    return (
        target,
        dast_options,
        parse_count(str(config.getini("devsecops_dast_min_pages")), key="devsecops_dast_min_pages"),
    )


def _openapi(source: str, root: Path) -> tuple[str, str]:
    """(path on the app, file): `/openapi.json` is on the app, anything else a file under root."""
    if not source:
        return "", ""
    if source.startswith(("/", "http://", "https://")):
        return source, ""
    path = (root / source).resolve()
    if not path.is_file():
        raise ValueError(f"devsecops_openapi = {source}: no such file under {root}")
    return "", str(path)


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 token
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def header_env(config: pytest.Config) -> tuple[tuple[str, str], ...]:
    """`devsecops_dast_header_env`: (header name, environment variable) pairs.

    Only the variable's *name* is in the configuration; its value (a bearer token, an API key)
    is read when the scan starts and never printed.
    """
    pairs = []
    for number, line in enumerate(config.getini("devsecops_dast_header_env"), 1):
        text = str(line).strip()
        if not text or text.startswith("#"):
            continue
        name, sep, env = (part.strip() for part in text.partition(":"))
        if not sep or not _HEADER_NAME.fullmatch(name) or not _ENV_NAME.fullmatch(env):
            # The line is not echoed: it may hold the very token that belongs in the variable.
            raise ValueError(
                f"devsecops_dast_header_env: line {number} is not 'Header-Name: ENV_VARIABLE' "
                "(the name of an environment variable that holds the value, never the value)"
            )
        pairs.append((name, env))
    return tuple(pairs)


def login_settings(config: pytest.Config) -> LoginConfig | None:
    """The ini form login, or None; the patterns are checked now, not mid-scan."""

    def ini(name: str) -> str:
        return str(config.getini(f"devsecops_dast_{name}")).strip()

    if not ini("login_url"):
        return None
    for name in ("logged_in_pattern", "logged_out_pattern"):
        try:
            re.compile(ini(name))
        except re.error as exc:
            raise ValueError(
                f"devsecops_dast_{name}: not a valid regular expression ({exc})"
            ) from None
    if not ini("login_username_env") or not ini("login_password_env"):
        raise ValueError(
            "devsecops_dast_login_url needs devsecops_dast_login_username_env and "
            "devsecops_dast_login_password_env: the names of the environment variables that "
            "hold the credentials (never the credentials themselves)"
        )
    return LoginConfig(
        url=ini("login_url"),
        username_field=ini("login_username_field") or "username",
        password_field=ini("login_password_field") or "password",
        username_env=ini("login_username_env"),
        password_env=ini("login_password_env"),
        logged_in_pattern=ini("logged_in_pattern"),
        logged_out_pattern=ini("logged_out_pattern"),
    )


def zap(config: pytest.Config, root: Path) -> tuple[EngineChoice, RuleLevels | None]:
    mode = str(config.getini("devsecops_dast_engine")).strip() or "auto"
    if mode not in ENGINES:
        raise ValueError(f"devsecops_dast_engine = {mode!r}; expected one of {', '.join(ENGINES)}")
    zap = ZapSettings(
        url=str(
            config.getoption("devsecops_zap_url") or config.getini("devsecops_zap_url")
        ).strip(),
        command=str(config.getini("devsecops_zap_command")).strip(),
        start_timeout=parse_seconds(
            str(config.getini("devsecops_zap_start_timeout")), "devsecops_zap_start_timeout"
        ),
        policy=str(config.getini("devsecops_zap_policy")).strip(),
        ajax_spider=bool(config.getini("devsecops_zap_ajax_spider")),
    )
    rules_path = str(config.getini("devsecops_zap_rules")).strip()
    try:
        levels = rules_file.load(root / rules_path) if rules_path else None
    except rules_file.RulesFileError as exc:
        raise ValueError(str(exc)) from None
    return EngineChoice(mode, zap), levels


def engine_settings(config: pytest.Config) -> EngineChoice:
    """The DAST engine choice, also for fixtures when --devsecops is off."""
    try:
        return zap(config, Path(config.rootpath))[0]
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-devsecops: {exc}") from None
