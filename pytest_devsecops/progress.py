"""Progress lines for long scans: on the controller's terminal only, never under -q or on
xdist workers, and at most one line per stage and quarter so pytest's own output stays readable."""

from __future__ import annotations

import pytest

from .dast.zap.engine import Progress, _quiet


def terminal_progress(config: pytest.Config) -> Progress:
    if hasattr(config, "workerinput"):
        return _quiet
    shown: set[tuple[str, int]] = set()

    def report(stage: str, percent: int, detail: str) -> None:
        # Looked up when used: the terminal reporter registers itself after our configure hook.
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or config.get_verbosity() < 0:
            return
        step = (stage, min(percent, 100) // 25)
        if step in shown:
            return
        shown.add(step)
        suffix = f" ({detail})" if detail else ""
        reporter.write_line(f"devsecops: ZAP {stage} {percent}%{suffix}")

    return report
