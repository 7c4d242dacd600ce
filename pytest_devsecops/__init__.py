"""pytest-devsecops: security scanners whose findings are pytest test outcomes."""

from __future__ import annotations

__version__ = "0.1.0"

import pytest


class DevsecopsWarning(pytest.PytestWarning):
    """Something pytest-devsecops did not do, or did differently, than the user may expect."""


__all__ = ["DevsecopsWarning", "__version__"]
