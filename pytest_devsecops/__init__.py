"""pytest-devsecops: security scanners whose findings are pytest test outcomes."""

from __future__ import annotations

__version__ = "0.1.0"
