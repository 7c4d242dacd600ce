"""A tiny shop back end with deliberately planted security bugs (for pytest-devsecops demos)."""
