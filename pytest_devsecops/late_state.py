"""The session's `LateFindings`, created on first use (so nothing runs for a suite that never
uses the DAST fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import options
from .late import LATE_KEY, LateFindings


def late_findings(config: pytest.Config) -> LateFindings:
    if LATE_KEY not in config.stash:
        baseline, fail_on, update = options.policy_settings(config)
        config_file = ""
        if config.inipath is not None:
            try:
                config_file = Path(config.inipath).relative_to(config.rootpath).as_posix()
            except ValueError:
                config_file = ""
        config.stash[LATE_KEY] = LateFindings(
            Path(config.rootpath), baseline, fail_on, update, config_file
        )
    return config.stash[LATE_KEY]
