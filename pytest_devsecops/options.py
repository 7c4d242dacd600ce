"""Command-line options and ini keys, and their resolution into one `Settings` (CLI > ini)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pytest

# Imported by every pytest run where the plugin is installed, enabled or not: everything
# beyond the option definitions is imported inside the functions that need it.
if TYPE_CHECKING:
    from .core.severity import Severity
    from .settings import Settings

T = TypeVar("T")
DEFAULT_BASELINE = ".devsecops-baseline.yml"  # == settings.DEFAULT_BASELINE (a test checks)


def parse_scanner_list(text: str) -> tuple[str, ...]:
    from .settings import parse_scanner_list as parse

    return parse(text)


def parse_path_list(text: str) -> tuple[str, ...]:
    from .settings import parse_path_list as parse

    return parse(text)


def parse_severity(text: str) -> Severity:
    from .core.severity import Severity

    return Severity.parse(text)


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
        "--devsecops-explain",
        metavar="FINDING",
        help="say which policy rule, baseline entry or gate decides FINDING (a node id or "
        "fingerprint), from the last scan when cached, and exit",
    )
    group.addoption(
        "--devsecops-fail-on",
        type=_argtype(parse_severity),
        metavar="LEVEL",
        help="lowest severity that fails: info, low, medium, high, critical",
    )
    group.addoption("--devsecops-json", metavar="PATH", help="write a JSON report")
    group.addoption("--devsecops-sarif", metavar="PATH", help="write a SARIF 2.1.0 report")
    group.addoption(
        "--devsecops-sarif-all",
        action="store_true",
        default=False,
        help="SARIF: also write accepted and below-gate findings, as suppressed results "
        "(GitHub shows those as open alerts; by default only failing findings are written)",
    )
    group.addoption(
        "--devsecops-sbom",
        metavar="PATH",
        help="write a CycloneDX 1.6 SBOM of audited dependencies",
    )
    group.addoption(
        "--devsecops-html",
        metavar="PATH",
        help="write a self-contained HTML report (no network; opens from file://)",
    )
    group.addoption(
        "--devsecops-fix",
        nargs="?",
        const="apply",
        choices=("apply", "dry-run"),
        metavar="dry-run",
        help="rewrite vulnerable pins in the audited files to the smallest clearing upgrade "
        "and print the diff (--devsecops-fix=dry-run: print only)",
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
    group.addoption(
        "--devsecops-since",
        metavar="REF",
        help="fail only findings on lines changed since git merge-base REF HEAD",
    )
    for name, help_text, kind, default in INI_KEYS:
        parser.addini(name, help_text, type=kind, default=default)


# (key, help, pytest ini type, default); every key can also be given as `-o key=value`.
IniType = Literal["string", "args", "linelist", "bool", "int", "float"]

# Typed (pytest >= 8.4 tags), so pytest 9's native `[tool.pytest]` table accepts
# `devsecops_timeout = 300` and `[tool.pytest.ini_options]`/pytest.ini still take strings.
INI_KEYS: tuple[tuple[str, str, IniType, object], ...] = (
    ("devsecops", "run the security scanners (same as --devsecops)", "bool", False),
    ("devsecops_scanners", "scanners to run (default: all registered)", "args", []),
    ("devsecops_baseline", "baseline file, relative to the rootdir", "string", ""),
    ("devsecops_fail_on", "lowest severity that fails (default medium)", "string", "medium"),
    ("devsecops_strict_baseline", "stale baseline entries fail (default true)", "bool", True),
    ("devsecops_paths", "folders/files to scan, relative to the rootdir", "args", []),
    ("devsecops_exclude", "extra folder names never scanned", "args", []),
    ("devsecops_timeout", "seconds each scanner may run (default 600)", "float", 600.0),
    ("devsecops_bandit_honour_nosec", "let '# nosec' suppress bandit findings", "bool", False),
    (
        "devsecops_bandit_config",
        "bandit config file (default: pyproject [tool.bandit])",
        "string",
        "",
    ),
    ("devsecops_requirements", "files whose pins are audited (default: environment)", "args", []),
    ("devsecops_osv_db", "offline OSV database: folder of records or all.zip", "string", ""),
    (
        "devsecops_osv_max_age_days",
        "an older offline OSV database is an error (default 30; off to disable)",
        "string",
        "",
    ),
    ("devsecops_audit_service", "online advisory service: pypi or osv", "string", "pypi"),
    ("devsecops_osv_url", "OSV query endpoint for the osv service (mirrors)", "string", ""),
    ("devsecops_audit_timeout", "seconds per advisory request (default 15)", "float", 15.0),
    ("devsecops_audit_default_severity", "severity of advisories stating none", "string", "high"),
    ("devsecops_audit_skip", "packages not on PyPI (shown as skipped on purpose)", "args", []),
    ("devsecops_import", "SARIF files to import as findings (globs under the rootdir)", "args", []),
    (
        "devsecops_images",
        "container images to scan: names, docker save tarballs or OCI layout folders",
        "args",
        [],
    ),
    ("devsecops_trivy", "the trivy binary (default: beside python, then PATH)", "string", ""),
    (
        "devsecops_default_rules",
        "built-in policy rules (B101 ignored in tests) (default true)",
        "bool",
        True,
    ),
    (
        "devsecops_require",
        "baseline entry fields that must be filled: reason owner expires",
        "args",
        [],
    ),
    (
        "devsecops_max_acceptance_days",
        "an accepted finding's expires may be at most this many days ahead",
        "string",
        "",
    ),
    (
        "devsecops_sbom_scope",
        "SBOM components: project (declared closure) or environment",
        "string",
        "project",
    ),
    ("devsecops_app", "WSGI app (or factory) to scan: package.module:attribute", "string", ""),
    ("devsecops_app_command", "command that starts the app; {port} is filled in", "string", ""),
    ("devsecops_app_ready_path", "path polled until the app answers (default /)", "string", "/"),
    (
        "devsecops_app_start_timeout",
        "seconds the app may take to start (default 30)",
        "float",
        30.0,
    ),
    ("devsecops_target", "URL of an app someone else started", "string", ""),
    ("devsecops_allowed_hosts", "non-loopback hosts DAST may scan (exact names)", "args", []),
    ("devsecops_dast_min_pages", "fewer pages with content fail the DAST status", "int", 1),
    ("devsecops_dast_active", "run active probes in the zero-code scan", "bool", False),
    (
        "devsecops_dast_max_pages",
        "pages the crawler fetches at most (default 100)",
        "int",
        100,
    ),
    ("devsecops_dast_max_seconds", "seconds a DAST scan may take (default 60)", "float", 60.0),
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
    (
        "devsecops_dast_header_env",
        "request headers of the DAST scan, one 'Name: ENV_VARIABLE' per line (the value is read "
        "from that environment variable, e.g. Authorization: API_AUTH)",
        "linelist",
        [],
    ),
    ("devsecops_openapi", "OpenAPI description: a file, or a path on the app", "string", ""),
    (
        "devsecops_dast_engine",
        "auto (ZAP if configured, else built-in), builtin, zap",
        "string",
        "auto",
    ),
    ("devsecops_zap_url", "a running ZAP daemon, e.g. http://127.0.0.1:8090", "string", ""),
    ("devsecops_zap_command", "launch ZAP for the scan, e.g. /opt/zap/zap.sh", "string", ""),
    ("devsecops_zap_start_timeout", "seconds ZAP may take to start (default 120)", "float", 120.0),
    ("devsecops_zap_policy", "ZAP active-scan policy name (default: ZAP's own)", "string", ""),
    ("devsecops_zap_ajax_spider", "also run ZAP's AJAX spider", "bool", False),
    (
        "devsecops_zap_rules",
        "zap-baseline rules file: IGNORE/INFO/WARN/FAIL/OUTOFSCOPE",
        "string",
        "",
    ),
    (
        "devsecops_secrets_engine",
        "secrets engines: auto (trivy + ours), trivy, detect-secrets, all",
        "string",
        "",
    ),
    ("devsecops_secrets_history", "also scan lines added in REF..HEAD (origin/main)", "string", ""),
    ("devsecops_zizmor", "the zizmor binary (default: beside python, then PATH)", "string", ""),
    ("devsecops_rego", "folder of custom Rego checks for the iac scanner", "string", ""),
    ("devsecops_commit_range", "commits that must be signed, e.g. origin/main..HEAD", "string", ""),
    ("devsecops_allowed_signers", "git allowed-signers file for SSH signatures", "string", ""),
    (
        "devsecops_jobs",
        "worker processes per scanner (default auto: usable CPUs)",
        "string",
        "auto",
    ),
    ("devsecops_cache", "reuse per-file results of unchanged files (default true)", "bool", True),
    ("devsecops_since", "gate only lines changed since this git ref", "string", ""),
    ("devsecops_bandit_allow_skips", "rules/paths the bandit config may remove", "args", []),
)


def enabled(config: pytest.Config) -> bool:
    """Whether --devsecops (or ini `devsecops = true`) switches the plugin on for this run."""
    value = config.getoption("devsecops")
    if config.getoption("devsecops_explain", None):
        return True  # asking about a finding switches the plugin on for that question
    if value is None:
        try:
            value = bool(config.getini("devsecops"))
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(f"pytest-devsecops: {exc}") from None
    return bool(value)


def resolve(config: pytest.Config, on: bool = False) -> Settings | None:
    """The effective settings, or None when the plugin is not switched on for this run
    (`on`: switched on by the arguments, e.g. `pytest devsecops/bandit`)."""
    if not (on or enabled(config)):
        return None
    for name, _, kind, _ in INI_KEYS:  # pytest checks types lazily: check ours now, by name
        if kind in ("int", "float", "bool"):
            try:
                config.getini(name)
            except (TypeError, ValueError, pytest.UsageError) as exc:
                raise pytest.UsageError(f"pytest-devsecops: {name}: {exc}") from None
    try:
        return _resolve(config)
    except (TypeError, ValueError) as exc:  # pytest checks ini value types when they are read
        raise pytest.UsageError(f"pytest-devsecops: {exc}") from None


def _resolve(config: pytest.Config) -> Settings:
    from . import options_dast, options_image, options_policy
    from .core.severity import Severity
    from .settings import (
        DEFAULT_EXCLUDES,
        Settings,
        parse_jobs,
        parse_max_age,
        parse_sbom_scope,
        parse_seconds,
        parse_secrets_engine,
        parse_service,
    )

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
    html_report = config.getoption("devsecops_html")
    max_age_value = config.getini("devsecops_osv_max_age_days")
    max_age = "" if max_age_value is None else str(max_age_value).strip()
    try:
        fail_level = fail_on if isinstance(fail_on, Severity) else Severity.parse(str(fail_on))
        timeout = parse_seconds(str(config.getini("devsecops_timeout")), "devsecops_timeout")
        audit_timeout = parse_seconds(
            str(config.getini("devsecops_audit_timeout")), "devsecops_audit_timeout"
        )
        default_severity = Severity.parse(str(config.getini("devsecops_audit_default_severity")))
        service = parse_service(str(config.getini("devsecops_audit_service")).strip())
        max_age_days = parse_max_age(max_age)
        sbom_scope = parse_sbom_scope(str(config.getini("devsecops_sbom_scope")).strip())
        dast_target, dast_options, min_pages = options_dast.dast(config, root)
        engine_choice, zap_rules = options_dast.zap(config, root)
        jobs = parse_jobs(str(config.getini("devsecops_jobs")))
        secrets_engine = str(config.getini("devsecops_secrets_engine")).strip()
        parse_secrets_engine(secrets_engine or "auto")
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
        sarif_all=bool(config.getoption("devsecops_sarif_all")),
        bandit_honour_nosec=bool(config.getini("devsecops_bandit_honour_nosec")),
        bandit_config=root / bandit_config if bandit_config else None,
        requirements=tuple(root / str(path) for path in requirements or ()),  # type: ignore[attr-defined]
        # Several databases (one per ecosystem) may be listed; the dependency audit reads the first.
        osv_db=(options_image.osv_databases(config, root) or (None,))[0] if osv_db else None,
        audit_service=service,
        osv_url=str(config.getini("devsecops_osv_url")).strip(),
        audit_timeout=audit_timeout,
        audit_default_severity=default_severity,
        audit_skip=tuple(config.getini("devsecops_audit_skip")),
        osv_max_age_days=max_age_days,
        sbom_report=Path(sbom_report).absolute() if sbom_report else None,
        html_report=Path(html_report).absolute() if html_report else None,
        import_patterns=tuple(config.getini("devsecops_import")),
        fix=str(config.getoption("devsecops_fix") or ""),
        sbom_scope=sbom_scope,
        dast_target=dast_target,
        dast_options=dast_options,
        dast_min_pages=min_pages,
        dast_engine=engine_choice,
        zap_rules=zap_rules,
        secrets_engine=secrets_engine or "auto",
        secrets_engine_set=bool(secrets_engine),
        secrets_history=str(config.getini("devsecops_secrets_history")).strip(),
        config_file=_config_file(config, root),
        image=options_image.image_settings(config),
        sources=tuple(sources),
        policy=options_policy.policy(config, root),
        **_iac_and_commits(config, root),
        jobs=jobs,
        cache=bool(config.getini("devsecops_cache")),
        since=str(pick("devsecops_since", "devsecops_since") or "").strip(),
        bandit_allow_skips=tuple(config.getini("devsecops_bandit_allow_skips")),
    )


def _iac_and_commits(config: pytest.Config, root: Path) -> dict[str, Any]:
    """The iac/actions/commits scanners' settings (tool paths, Rego folder, commit range)."""

    def ini(key: str) -> str:
        return str(config.getini(key)).strip()

    return {
        "trivy_path": str(root / ini("devsecops_trivy")) if ini("devsecops_trivy") else "",
        "zizmor_path": str(root / ini("devsecops_zizmor")) if ini("devsecops_zizmor") else "",
        "rego": root / ini("devsecops_rego") if ini("devsecops_rego") else None,
        "commit_range": ini("devsecops_commit_range"),
        "allowed_signers": (
            root / ini("devsecops_allowed_signers") if ini("devsecops_allowed_signers") else None
        ),
    }


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
    from .core.severity import Severity

    root = Path(config.rootpath)
    baseline = config.getoption("devsecops_baseline") or config.getini("devsecops_baseline")
    fail_on = config.getoption("devsecops_fail_on") or config.getini("devsecops_fail_on")
    try:
        level = fail_on if isinstance(fail_on, Severity) else Severity.parse(str(fail_on))
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-devsecops: {exc}") from None
    update = bool(config.getoption("devsecops_update_baseline"))
    return root / str(baseline or DEFAULT_BASELINE), level, update
