"""The `pytest_devsecops_*` hooks: how any plugin or conftest adds a scanner.

Implement them in a conftest.py or plugin; mark the implementation
``@pytest.hookimpl(optionalhook=True)`` if it must also load where pytest-devsecops is absent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .scanners.registry import ScannerRegistry


@pytest.hookspec
def pytest_devsecops_register_scanners(config: pytest.Config, registry: ScannerRegistry) -> None:
    """Add scanners to ``registry`` with ``registry.add(scanner)``.

    A scanner has a ``name`` and a ``scan(context) -> ScanResult`` method
    (see ``pytest_devsecops.scanners.interface``). The first scanner registered under a
    name wins; pytest-devsecops registers its built-in scanners last, so yours can replace
    them. Scanners run once per session, on the xdist controller.
    """
