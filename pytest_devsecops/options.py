"""Command-line options and ini keys, and their resolution into one `Settings` (CLI > ini)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

import pytest

from . import options_dast
from .core.severity import Severity
from .settings import (
    DEFAULT_BASELINE,
    DEFAULT_EXCLUDES,
    Settings,
    parse_days,
    parse_path_list,
    parse_scanner_list,
    parse_seconds,
    parse_service,
)

T = TypeVar("T")


def _argtype(convert: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type whose error message is the converter's own (it names what is accepted)."""

    def parse(text: str) -> T:
        try:
            return convert(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = convert.__name__
    return parse


def add_options(parser: pytest.Parser) -> None:
    """Register every option and ini key; nothing here runs unless `--devsecops` is on."""
    group = parser.getgroup("devsecops", "security scanners as tests (pytest-devsecops)")
    group.addoption(
        "--devsecops",
        action="store_true",
        default=None,
        help="run the security scanners and report each finding as a test",
    )
    group.addoption(
        "--devsecops-scanners",
        type=_argtype(parse_scanner_list),
        metavar="NAMES",
        help="comma-separated scanners to run (default: every registered scanner)",
    )
    group.addoption(
        "--devsecops-baseline",
        metavar="PATH",
        help=f"baseline file of accepted findings (default: {DEFAULT_BASELINE})",
    )
    group.addoption(
        "--devsecops-update-baseline",
        action="store_true",
        default=False,
        help="add current findings to the baseline and drop stale entries",
    )
    group.addoption(
        "--devsecops-fail-on",
        type=_argtype(Severity.parse),
        metavar="LEVEL",
        help="lowest severity that fails: info, low, medium, high, critical",
    )
    group.addoption("--devsecops-json", metavar="PATH", help="write a JSON report")
    group.addoption("--devsecops-sarif", metavar="PATH", help="write a SARIF 2.1.0 report")
    group.addoption(
        "--devsecops-sbom",
        metavar="PATH",
        help="write a CycloneDX 1.6 SBOM of audited dependencies",
    )
    group.addoption(
        "--devsecops-requirements",
        type=_argtype(parse_path_list),
        metavar="FILES",
        help="comma-separated requirements/pyproject/pylock files to audit (default: environment)",
    )
    group.addoption(
        "--devsecops-osv-db",
        metavar="PATH",
        help="audit offline against OSV records (folder or zip)",
    )
    group.addoption(
        "--devsecops-zap-url", metavar="URL", help="a running ZAP (API key from ZAP_API_KEY)"
    )
    for name, help_text, kind, default in INI_KEYS:
        parser.addini(name, help_text, type=kind, default=default)


# (key, help, pytest ini type, default); every key can also be given as `-o key=value`.
INI_KEYS: tuple[tuple[str, str, Literal["string", "args", "bool"], object], ...] = (
    ("devsecops", "run the security scanners (same as --devsecops)", "bool", False),
    ("devsecops_scanners", "scanners to run (default: all registered)", "args", []),
    ("devsecops_baseline", "baseline file, relative to the rootdir", "string", ""),
    ("devsecops_fail_on", "lowest severity that fails (default medium)", "string", "medium"),
    ("devsecops_strict_baseline", "stale baseline entries fail (default true)", "bool", True),
    ("devsecops_paths", "folders/files to scan, relative to the rootdir", "args", []),
    ("devsecops_exclude", "extra folder names never scanned", "args", []),
    ("devsecops_timeout", "seconds each scanner may run (default 600)", "string", "600"),
    ("devsecops_bandit_honour_nosec", "let '# nosec' suppress bandit findings", "bool", False),
    (
        "devsecops_bandit_config",
        "bandit config file (default: pyproject [tool.bandit])",
        "string",
        "",
    ),
    ("devsecops_requirements", "files whose pins are audited (default: environment)", "args", []),
    ("devsecops_osv_db", "offline OSV database: folder of records or all.zip", "string", ""),
    ("devsecops_osv_max_age_days", "an older offline OSV database is an error", "string", ""),
    ("devsecops_audit_service", "online advisory service: pypi or osv", "string", "pypi"),
    ("devsecops_osv_url", "OSV query endpoint for the osv service (mirrors)", "string", ""),
    ("devsecops_audit_timeout", "seconds per advisory request (default 15)", "string", "15"),
    ("devsecops_audit_default_severity", "severity of advisories stating none", "string", "high"),
    ("devsecops_audit_skip", "packages not on PyPI (shown as skipped on purpose)", "args", []),
    ("devsecops_app", "WSGI app (or factory) to scan: package.module:attribute", "string", ""),
    ("devsecops_app_command", "command that starts the app; {port} is filled in", "string", ""),
    ("devsecops_app_ready_path", "path polled until the app answers (default /)", "string", "/"),
    (
        "devsecops_app_start_timeout",
        "seconds the app may take to start (default 30)",
        "string",
        "30",
    ),
    ("devsecops_target", "URL of an app someone else started", "string", ""),
    ("devsecops_allowed_hosts", "non-loopback hosts DAST may scan (exact names)", "args", []),
    ("devsecops_dast_min_pages", "fewer pages with content fail the DAST status", "string", "1"),
    ("devsecops_dast_active", "run active probes in the zero-code scan", "bool", False),
    (
        "devsecops_dast_max_pages",
        "pages the crawler fetches at most (default 100)",
        "string",
        "100",
    ),
    ("devsecops_dast_max_seconds", "seconds a DAST scan may take (default 60)", "string", "60"),
    ("devsecops_dast_paths", "extra start paths for the crawler", "args", []),
    ("devsecops_dast_exclude", "path globs never requested (logout-like always)", "args", []),
    ("devsecops_dast_time_based", "time-based SQL injection probes (slow)", "bool", False),
    ("devsecops_dast_login_url", "login form page for an authenticated scan", "string", ""),
    ("devsecops_dast_login_username_field", "login form's user field", "string", "username"),
    ("devsecops_dast_login_password_field", "login form's password field", "string", "password"),
    ("devsecops_dast_login_username_env", "env variable holding the user name", "string", ""),
    ("devsecops_dast_login_password_env", "env variable holding the password", "string", ""),
    ("devsecops_dast_logged_in_pattern", "regex seen only when logged in", "string", ""),
    ("devsecops_dast_logged_out_pattern", "regex seen only when logged out", "string", ""),
    ("devsecops_openapi", "OpenAPI description: a file, or a path on the app", "string", ""),
    (
        "devsecops_dast_engine",
        "auto (ZAP if configured and reachable), builtin, zap",
        "string",
        "auto",
    ),
    ("devsecops_zap_url", "a running ZAP daemon, e.g. http://127.0.0.1:8090", "string", ""),
    ("devsecops_zap_command", "launch ZAP for the scan, e.g. /opt/zap/zap.sh", "string", ""),
    ("devsecops_zap_start_timeout", "seconds ZAP may take to start (default 120)", "string", "120"),
    ("devsecops_zap_policy", "ZAP active-scan policy name (default: ZAP's own)", "string", ""),
    ("devsecops_zap_ajax_spider", "also run ZAP's AJAX spider", "bool", False),
    (
        "devsecops_zap_rules",
        "zap-baseline rules file: IGNORE/INFO/WARN/FAIL/OUTOFSCOPE",
        "string",
        "",
    ),
)


def resolve(config: pytest.Config) -> Settings | None:
    """The effective settings, or None when the plugin is not switched on for this run."""
    enabled = config.getoption("devsecops")
    if enabled is None:
        enabled = bool(config.getini("devsecops"))
    if not enabled:
        return None
    root = Path(config.rootpath)
    sources: list[tuple[str, str]] = []

    def pick(option: str, ini_key: str) -> object:
        value = config.getoption(option)
        if value not in (None, False):
            sources.append((ini_key, "command line"))
            return value
        ini_value = config.getini(ini_key)
        if ini_value not in ("", [], None):
            sources.append((ini_key, "ini"))
            return ini_value
        return None

    scanners = pick("devsecops_scanners", "devsecops_scanners")
    if isinstance(scanners, list):
        scanners = parse_scanner_list(" ".join(scanners))
    baseline = pick("devsecops_baseline", "devsecops_baseline")
    fail_on = pick("devsecops_fail_on", "devsecops_fail_on")
    json_report = config.getoption("devsecops_json")
    sarif_report = config.getoption("devsecops_sarif")
    bandit_config = config.getini("devsecops_bandit_config")
    requirements = pick("devsecops_requirements", "devsecops_requirements")
    osv_db = pick("devsecops_osv_db", "devsecops_osv_db")
    sbom_report = config.getoption("devsecops_sbom")
    max_age = str(config.getini("devsecops_osv_max_age_days")).strip()
    try:
        fail_level = fail_on if isinstance(fail_on, Severity) else Severity.parse(str(fail_on))
        timeout = parse_seconds(str(config.getini("devsecops_timeout")))
        audit_timeout = parse_seconds(str(config.getini("devsecops_audit_timeout")))
        default_severity = Severity.parse(str(config.getini("devsecops_audit_default_severity")))
        service = parse_service(str(config.getini("devsecops_audit_service")).strip())
        max_age_days = parse_days(max_age) if max_age else None
        dast_target, dast_options, min_pages = options_dast.dast(config, root)
        engine_choice, zap_rules = options_dast.zap(config, root)
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-devsecops: {exc}") from None
    paths = tuple(root / path for path in config.getini("devsecops_paths")) or (root,)
    return Settings(
        root=root,
        scanners=tuple(scanners) if scanners else None,  # type: ignore[arg-type]
        baseline=root / str(baseline or DEFAULT_BASELINE),
        update_baseline=bool(config.getoption("devsecops_update_baseline")),
        fail_on=fail_level,
        strict_baseline=bool(config.getini("devsecops_strict_baseline")),
        paths=paths,
        excludes=tuple(dict.fromkeys([*DEFAULT_EXCLUDES, *config.getini("devsecops_exclude")])),
        timeout=timeout,
        json_report=Path(json_report).absolute() if json_report else None,
        sarif_report=Path(sarif_report).absolute() if sarif_report else None,
        bandit_honour_nosec=bool(config.getini("devsecops_bandit_honour_nosec")),
        bandit_config=root / bandit_config if bandit_config else None,
        requirements=tuple(root / str(path) for path in requirements or ()),  # type: ignore[attr-defined]
        osv_db=root / str(osv_db) if osv_db else None,
        audit_service=service,
        osv_url=str(config.getini("devsecops_osv_url")).strip(),
        audit_timeout=audit_timeout,
        audit_default_severity=default_severity,
        audit_skip=tuple(config.getini("devsecops_audit_skip")),
        osv_max_age_days=max_age_days,
        sbom_report=Path(sbom_report).absolute() if sbom_report else None,
        dast_target=dast_target,
        dast_options=dast_options,
        dast_min_pages=min_pages,
        dast_engine=engine_choice,
        zap_rules=zap_rules,
        config_file=_config_file(config, root),
        sources=tuple(sources),
    )


def _config_file(config: pytest.Config, root: Path) -> str:
    inipath = config.inipath
    if inipath is None:
        return ""
    try:
        return Path(inipath).relative_to(root).as_posix()
    except ValueError:
        return ""


def policy_settings(config: pytest.Config) -> tuple[Path, Severity, bool]:
    """Baseline path, gate and update flag: what late findings need, even with --devsecops off."""
    root = Path(config.rootpath)
    baseline = config.getoption("devsecops_baseline") or config.getini("devsecops_baseline")
    fail_on = config.getoption("devsecops_fail_on") or config.getini("devsecops_fail_on")
    try:
        level = fail_on if isinstance(fail_on, Severity) else Severity.parse(str(fail_on))
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-devsecops: {exc}") from None
    update = bool(config.getoption("devsecops_update_baseline"))
    return root / str(baseline or DEFAULT_BASELINE), level, update
