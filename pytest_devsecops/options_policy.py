"""The policy settings: rules from pyproject.toml or devsecops.toml, and acceptance rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from .core.policy_file import PolicyConfig, load_rules, parse_require
from .core.policy_rules import PolicyError, Rule, default_rules
from .settings import MAX_DAYS, parse_count


def policy(config: pytest.Config, root: Path) -> PolicyConfig:
    """Read and validate the policy; every problem is a usage error naming where it is."""
    try:
        rules, source = load_rules(root)
        builtin: tuple[Rule, ...] = ()
        if config.getini("devsecops_default_rules"):
            builtin = default_rules(config.getini("testpaths") or ())
        days = str(config.getini("devsecops_max_acceptance_days")).strip()
        return PolicyConfig(
            rules=rules,
            source=source,
            builtin=builtin,
            require=parse_require(list(config.getini("devsecops_require"))),
            max_acceptance_days=(
                parse_count(days, "days", "devsecops_max_acceptance_days", MAX_DAYS)
                if days
                else None
            ),
        )
    except (PolicyError, ValueError) as exc:
        raise pytest.UsageError(f"pytest-devsecops: policy: {exc}") from None
