"""Command-line options and ini keys, and their resolution into one `Settings` (CLI > ini)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from .core.severity import Severity
from .settings import (
    DEFAULT_BASELINE,
    DEFAULT_EXCLUDES,
    Settings,
    parse_scanner_list,
    parse_seconds,
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
    ini = parser.addini
    ini("devsecops", "run the security scanners (same as --devsecops)", type="bool", default=False)
    ini("devsecops_scanners", "scanners to run (default: all registered)", type="args", default=[])
    ini("devsecops_baseline", "baseline file, relative to the rootdir", type="string", default="")
    ini(
        "devsecops_fail_on",
        "lowest severity that fails (default medium)",
        type="string",
        default="medium",
    )
    ini(
        "devsecops_strict_baseline",
        "stale baseline entries fail (default true)",
        type="bool",
        default=True,
    )
    ini(
        "devsecops_paths",
        "folders/files to scan, relative to the rootdir (default: rootdir)",
        type="args",
        default=[],
    )
    ini("devsecops_exclude", "extra folder names never scanned", type="args", default=[])
    ini(
        "devsecops_timeout",
        "seconds each scanner may run (default 600)",
        type="string",
        default="600",
    )
    ini(
        "devsecops_bandit_honour_nosec",
        "let '# nosec' suppress bandit findings (default false)",
        type="bool",
        default=False,
    )
    ini(
        "devsecops_bandit_config",
        "bandit config file (default: [tool.bandit] in pyproject.toml)",
        type="string",
        default="",
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
    try:
        fail_level = fail_on if isinstance(fail_on, Severity) else Severity.parse(str(fail_on))
        timeout = parse_seconds(str(config.getini("devsecops_timeout")))
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
        sources=tuple(sources),
    )
