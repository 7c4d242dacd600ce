"""The session's `LateFindings`, created on first use (so nothing runs for a suite that never
uses the DAST fixtures, and nothing is imported for a suite that does not enable us)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .late import LateFindings

LATE_KEY = pytest.StashKey["LateFindings"]()
WORKER_OUTPUT_KEY = "devsecops_late"  # xdist workeroutput key of the late findings


def late_findings(config: pytest.Config) -> LateFindings:
    if LATE_KEY not in config.stash:
        from . import options
        from .late import LateFindings

        baseline, fail_on, update = options.policy_settings(config)
        config_file = ""
        if config.inipath is not None:
            try:
                config_file = Path(config.inipath).relative_to(config.rootpath).as_posix()
            except ValueError:
                config_file = ""
        from .options_policy import policy

        config.stash[LATE_KEY] = LateFindings(
            Path(config.rootpath),
            baseline,
            fail_on,
            update,
            config_file,
            policy_config=policy(config, Path(config.rootpath)),
        )
    return config.stash[LATE_KEY]
