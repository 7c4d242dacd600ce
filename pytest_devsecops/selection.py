"""Command-line arguments that name our virtual `devsecops/<scanner>::<item>` node ids."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .settings import Settings

PREFIX = "devsecops"


@dataclasses.dataclass(frozen=True)
class Pick:
    """One argument: a scanner (None: every scanner) and optionally item names within it."""

    arg: str
    scanner: str | None
    names: tuple[str, ...] = ()

    def wants_scanner(self, scanner: str) -> bool:
        return self.scanner is None or self.scanner == scanner

    def wants_item(self, scanner: str, name: str) -> bool:
        if not self.wants_scanner(scanner):
            return False
        if not self.names:
            return True
        # Like pytest's `test_x.py::test_a`, a rule without `[...]` selects all its findings.
        return self.names[0] in (name, name.split("[", 1)[0])


@dataclasses.dataclass(frozen=True)
class Selection:
    """The `devsecops...` arguments of this run, taken out of pytest's own argument list."""

    picks: tuple[Pick, ...]

    @property
    def scanners(self) -> tuple[str, ...] | None:
        """The scanners that must run, or None when any argument asked for all of them."""
        if any(pick.scanner is None for pick in self.picks):
            return None
        return tuple(dict.fromkeys(pick.scanner for pick in self.picks if pick.scanner))

    def wants_scanner(self, scanner: str) -> bool:
        return any(pick.wants_scanner(scanner) for pick in self.picks)

    def wants_item(self, scanner: str, name: str) -> bool:
        return any(pick.wants_item(scanner, name) for pick in self.picks)

    def filter(self, items: list[pytest.Item]) -> list[pytest.Item]:
        """The selected items; an argument naming no item is pytest's "not found" error."""
        kept = []
        matched: set[Pick] = set()
        for item in items:
            scanner = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
            hits = {pick for pick in self.picks if pick.wants_item(scanner, item.name)}
            if hits:
                kept.append(item)
                matched |= hits
        missing = [pick.arg for pick in self.picks if pick.names and pick not in matched]
        if missing:
            raise pytest.UsageError(
                "\n".join(
                    f"not found: {arg}\n(no such security finding in this run)" for arg in missing
                )
            )
        return kept


SELECTION_KEY = pytest.StashKey[Selection]()


def take_from_args(config: pytest.Config) -> Selection | None:
    """Remove our node ids from `config.args` (pytest would call them "not found") and return
    them; the plugin is then on for this run. A real file or folder of that name wins."""
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        return None
    invocation = config.invocation_params.dir
    root = Path(config.rootpath)
    keep: list[str] = []
    picks: list[Pick] = []
    for arg in config.args:
        pick = parse(arg, invocation, root)
        if pick is None:
            keep.append(arg)
        else:
            picks.append(pick)
    if not picks:
        return None
    config.args[:] = keep
    return Selection(tuple(picks))


def parse(arg: str, invocation: Path, root: Path) -> Pick | None:
    """`devsecops`, `devsecops/bandit` or `devsecops/bandit::B602[app.py:3]`, else None."""
    path_part, *names = arg.split("::")
    if not path_part or path_part.startswith("-"):
        return None
    if os.path.lexists(invocation / path_part):
        return None
    base = os.path.normpath(root / PREFIX)
    # Relative to where pytest runs, or to the rootdir (as printed, from a subfolder too).
    for where in (os.path.normpath(invocation / path_part), os.path.normpath(root / path_part)):
        if where == base:
            scanner = None
            break
        if os.path.dirname(where) == base:
            scanner = os.path.basename(where)
            break
    else:
        return None
    if scanner is None and names:
        return None  # `devsecops::x` names no item
    return Pick(arg, scanner, tuple(names))


def from_last_failed(config: pytest.Config) -> Selection | None:
    """`--lf`/`--ff` after a run whose security items failed: switch us on for those scanners,
    so the rerun includes them even without --devsecops (pytest's own filter does the rest)."""
    if not (config.getoption("lf", False) or config.getoption("failedfirst", False)):
        return None
    from . import options

    cache = getattr(config, "cache", None)
    if cache is None or options.enabled(config):
        return None
    lastfailed = cache.get("cache/lastfailed", {})
    scanners = sorted(
        {
            nodeid.split("::", 1)[0].split("/", 1)[1]
            for nodeid in lastfailed
            if isinstance(lastfailed, dict)
            if isinstance(nodeid, str) and nodeid.startswith(f"{PREFIX}/") and "::" in nodeid
        }
        - set(LATE_ONLY)
    )
    if not scanners:
        return None
    return Selection(tuple(Pick(f"{PREFIX}/{name}", name) for name in scanners))


# Results reported after the tests (test traffic): not a scanner that can be selected to run.
LATE_ONLY = ("dast-traffic",)


def narrow(settings: Settings, selection: Selection) -> Settings:
    """Run only the selected scanners (all of them for a bare `devsecops`)."""
    wanted = tuple(name for name in selection.scanners or () if name not in LATE_ONLY)
    if selection.scanners is None:
        return settings
    if not wanted:
        raise pytest.UsageError(
            "pytest-devsecops: devsecops/dast-traffic results come from the tests that use "
            "devsecops_http; run those tests to see them"
        )
    return dataclasses.replace(settings, scanners=wanted)
