"""Every setting, resolved once from the command line and ini files into one frozen object."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .core.severity import Severity
from .dast.interface import DastOptions
from .dast.rules_file import RuleLevels
from .dast.target import TargetConfig
from .dast.zap.selection import EngineChoice
from .scanners.image.config import ImageSettings

DEFAULT_BASELINE = ".devsecops-baseline.yml"
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
    bandit_honour_nosec: bool = False
    bandit_config: Path | None = None
    requirements: tuple[Path, ...] = ()
    osv_db: Path | None = None
    audit_service: str = "pypi"
    osv_url: str = ""
    audit_timeout: float = 15.0
    audit_default_severity: Severity = Severity.HIGH
    audit_skip: tuple[str, ...] = ()
    osv_max_age_days: int | None = None
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
    trivy: Path | None = None  # ini devsecops_trivy; None: beside Python, then PATH
    secrets_engine: str = "auto"
    secrets_engine_set: bool = False  # the ini named an engine: a missing tool is an error
    secrets_history: str = ""
    config_file: str = ""  # the ini file, repository-relative: where DAST findings are "located"
    image: ImageSettings = dataclasses.field(default_factory=ImageSettings)
    sources: tuple[tuple[str, str], ...] = ()

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


def parse_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise ValueError(f"expected a positive number of seconds, got {text!r}")
    return value


def parse_days(text: str) -> int:
    return parse_count(text, "days")


def parse_count(text: str, unit: str = "") -> int:
    """A whole number >= 0; the error names what was expected."""
    what = f"a whole number of {unit}" if unit else "a whole number"
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"expected {what}, got {text!r}") from None
    if value < 0:
        raise ValueError(f"expected {what} >= 0, got {text!r}")
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
