"""Ini keys of the container image scanner, resolved into `ImageSettings`."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from .core.severity import Severity
from .scanners.image.config import ImageSettings


def osv_databases(config: pytest.Config, root: Path) -> tuple[Path, ...]:
    """`devsecops_osv_db` may name several databases (one per ecosystem), space separated."""
    value = config.getoption("devsecops_osv_db", None) or config.getini("devsecops_osv_db")
    return tuple(root / part for part in shlex.split(str(value or "")))


def image_settings(config: pytest.Config, images: tuple[str, ...] | None = None) -> ImageSettings:
    """The image scanner's settings, read even when --devsecops is off (for the fixture)."""
    root = Path(config.rootpath)
    severity_text = str(config.getini("devsecops_audit_default_severity"))
    try:
        severity = Severity.parse(severity_text)
        timeout = float(str(config.getini("devsecops_audit_timeout")))
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-devsecops: {exc}") from None
    inipath = config.inipath
    try:
        config_file = Path(inipath).relative_to(root).as_posix() if inipath else ""
    except ValueError:
        config_file = ""
    configured = tuple(str(item) for item in config.getini("devsecops_images"))
    return ImageSettings(
        images=configured if images is None else images,
        osv_dbs=osv_databases(config, root),
        osv_url=str(config.getini("devsecops_osv_url")).strip(),
        # Relative to the rootdir, as for the other trivy-based scanners.
        trivy=str(root / trivy) if (trivy := str(config.getini("devsecops_trivy")).strip()) else "",
        default_severity=severity,
        request_timeout=timeout,
        config_file=config_file,
    )
