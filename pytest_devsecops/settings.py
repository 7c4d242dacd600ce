"""Every setting, resolved once from the command line and ini files into one frozen object."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from .core.policy_file import PolicyConfig
from .core.severity import Severity
from .dast.interface import DastOptions
from .dast.rules_file import RuleLevels
from .dast.target import TargetConfig
from .dast.zap.selection import EngineChoice
from .scanners.image.config import ImageSettings

DEFAULT_BASELINE = ".devsecops-baseline.yml"
# Upper bounds that no real setting reaches; larger values are typos or attempts to disable a
# limit by making it astronomically large (a `timeout` of 1e308 seconds never fires).
MAX_SECONDS = 7 * 24 * 3600.0
MAX_DAYS = 100 * 366
MAX_COUNT = 1_000_000
DEFAULT_OSV_MAX_AGE_DAYS = 30
NO_LIMIT = ("off", "none", "never")
DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    "site-packages",
    "node_modules",
    "build",
    "dist",
    "__pycache__",
    ".eggs",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
)


@dataclasses.dataclass(frozen=True)
class Settings:
    """The effective configuration; `sources` says where each non-default value came from."""

    root: Path
    scanners: tuple[str, ...] | None = None
    baseline: Path = Path(DEFAULT_BASELINE)
    update_baseline: bool = False
    fail_on: Severity = Severity.MEDIUM
    strict_baseline: bool = True
    paths: tuple[Path, ...] = ()
    excludes: tuple[str, ...] = DEFAULT_EXCLUDES
    timeout: float = 600.0
    json_report: Path | None = None
    sarif_report: Path | None = None
    sarif_all: bool = False  # also accepted/below-gate findings, with suppressions
    bandit_honour_nosec: bool = False
    bandit_config: Path | None = None
    requirements: tuple[Path, ...] = ()
    osv_db: Path | None = None
    audit_service: str = "pypi"
    osv_url: str = ""
    audit_timeout: float = 15.0
    audit_default_severity: Severity = Severity.HIGH
    audit_skip: tuple[str, ...] = ()
    osv_max_age_days: int | None = DEFAULT_OSV_MAX_AGE_DAYS
    sbom_report: Path | None = None
    html_report: Path | None = None
    import_patterns: tuple[str, ...] = ()  # SARIF files to import, globs under the rootdir
    sbom_scope: str = "project"  # or "environment": list the whole environment in the SBOM
    fix: str = ""  # "apply" or "dry-run": rewrite vulnerable pins (--devsecops-fix)
    dast_target: TargetConfig = dataclasses.field(default_factory=TargetConfig)
    dast_options: DastOptions = dataclasses.field(default_factory=DastOptions)
    dast_min_pages: int = 1
    dast_engine: EngineChoice = dataclasses.field(default_factory=EngineChoice)
    zap_rules: RuleLevels | None = None
    secrets_engine: str = "auto"
    secrets_engine_set: bool = False  # the ini named an engine: a missing tool is an error
    secrets_history: str = ""
    trivy_path: str = ""  # ini devsecops_trivy: the trivy binary ('' = find it)
    zizmor_path: str = ""  # ini devsecops_zizmor: the zizmor binary ('' = find it)
    commit_range: str = ""  # ini devsecops_commit_range: '' = the commits scanner does not run
    allowed_signers: Path | None = None
    rego: Path | None = None  # ini devsecops_rego: a folder of custom trivy checks
    config_file: str = ""  # the ini file, repository-relative: where DAST findings are "located"
    image: ImageSettings = dataclasses.field(default_factory=ImageSettings)
    sources: tuple[tuple[str, str], ...] = ()
    policy: PolicyConfig = dataclasses.field(default_factory=PolicyConfig)
    jobs: int = 0  # worker processes per scanner; 0: every usable CPU
    cache: bool = True
    since: str = ""  # --devsecops-since: gate only lines changed since this git ref
    bandit_allow_skips: tuple[str, ...] = ()

    def describe(self) -> str:
        """The one-line summary shown in pytest's header."""
        scanners = ",".join(self.scanners) if self.scanners else "all"
        baseline = self.relative(self.baseline)
        return f"devsecops: scanners={scanners} fail-on={self.fail_on} baseline={baseline}"

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def parse_scanner_list(text: str) -> tuple[str, ...]:
    """`bandit,pip-audit` or `bandit pip-audit` → ('bandit', 'pip-audit')."""
    names = [name.strip() for name in text.replace(",", " ").split()]
    if not names:
        raise ValueError("expected at least one scanner name")
    return tuple(dict.fromkeys(names))


def parse_seconds(text: str, key: str = "") -> float:
    """A finite number of seconds > 0 and at most a week; the error names `key` when given."""
    lead = f"{key} = {text!r}: " if key else ""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{lead}expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{lead}expected a positive number of seconds, got {text!r}")
    if value > MAX_SECONDS:
        raise ValueError(
            f"{lead}expected at most {int(MAX_SECONDS)} seconds (a week), got {text!r}"
        )
    return value


def parse_days(text: str, key: str = "") -> int:
    return parse_count(text, "days", key, MAX_DAYS)


def parse_max_age(text: str, key: str = "devsecops_osv_max_age_days") -> int | None:
    """Days, or None for an explicit `off`; empty means the documented default."""
    text = text.strip()
    if not text:
        return DEFAULT_OSV_MAX_AGE_DAYS
    if text.lower() in NO_LIMIT:
        return None
    return parse_days(text, key)


def parse_count(text: str, unit: str = "", key: str = "", maximum: int = MAX_COUNT) -> int:
    """A whole number >= 0 and <= `maximum`; the error names what was expected."""
    lead = f"{key} = {text!r}: " if key else ""
    what = f"a whole number of {unit}" if unit else "a whole number"
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{lead}expected {what}, got {text!r}") from None
    if value < 0:
        raise ValueError(f"{lead}expected {what} >= 0, got {text!r}")
    if value > maximum:
        raise ValueError(f"{lead}expected {what} <= {maximum}, got {text!r}")
    return value


def parse_service(text: str) -> str:
    if text not in ("pypi", "osv"):
        raise ValueError(f"unknown advisory service {text!r}; expected pypi or osv")
    return text


def parse_sbom_scope(text: str) -> str:
    if text not in ("project", "environment"):
        raise ValueError(f"unknown SBOM scope {text!r}; expected project or environment")
    return text


SECRETS_ENGINES = ("auto", "trivy", "detect-secrets", "all")


def parse_secrets_engine(text: str) -> str:
    if text not in SECRETS_ENGINES:
        raise ValueError(
            f"unknown secrets engine {text!r}; expected one of {', '.join(SECRETS_ENGINES)}"
        )
    return text


def parse_path_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace(",", " ").split() if part.strip())


def parse_jobs(text: str) -> int:
    """`auto` (or empty) → 0, meaning every usable CPU; otherwise a whole number >= 1."""
    if text.strip().lower() in ("", "auto"):
        return 0
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if not 1 <= value <= 1024:
        raise ValueError(f"devsecops_jobs: expected auto or a number from 1 to 1024, got {text!r}")
    return value
