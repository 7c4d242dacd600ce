"""The set of scanners registered through `pytest_devsecops_register_scanners`."""

from __future__ import annotations

from collections.abc import Iterable

from .interface import Scanner


class ScannerRegistry:
    """Scanners by name, in registration order; built-ins register like any third party."""

    def __init__(self) -> None:
        self._scanners: dict[str, Scanner] = {}

    def add(self, scanner: Scanner) -> None:
        """Register `scanner`; a name that is already taken keeps its first registration."""
        if not isinstance(scanner, Scanner):
            raise TypeError(f"{scanner!r} does not implement the Scanner interface")
        # Hooks run user plugins first, so a user's scanner of the same name wins.
        self._scanners.setdefault(scanner.name, scanner)

    @property
    def names(self) -> list[str]:
        return list(self._scanners)

    def select(self, names: Iterable[str] | None) -> list[Scanner]:
        """The scanners asked for (all when `names` is None); unknown names raise ValueError."""
        if names is None:
            return list(self._scanners.values())
        chosen = []
        for name in names:
            if name not in self._scanners:
                known = ", ".join(self.names) or "none"
                raise ValueError(f"unknown scanner {name!r}; registered scanners: {known}")
            chosen.append(self._scanners[name])
        return chosen
