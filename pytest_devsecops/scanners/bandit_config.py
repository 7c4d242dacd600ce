"""The project's bandit settings, read by us: what they remove is named, never silently obeyed.

bandit reads `.bandit` (an ini file of command-line options), `[tool.bandit]` in pyproject.toml
and YAML/TOML config files. Some settings tune rules and are passed on; others change what is
*reported* (a baseline, severity/confidence filters, output formats) and are refused or ignored
with a note; rules and paths the settings remove are listed on the status item and fail it
unless `devsecops_bandit_allow_skips` names them.
"""

from __future__ import annotations

import configparser
import dataclasses
import fnmatch
import hashlib
import json
import sys
import warnings
from pathlib import Path
from typing import Any

from ..core.finding import Skipped

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# `.bandit` keys that only shape bandit's own output or run: we always want all of it as JSON.
_IGNORED_INI = {
    "level": "every severity is reported; devsecops_fail_on decides what fails",
    "confidence": "every confidence is reported; devsecops_fail_on decides what fails",
    "format": "pytest-devsecops reads bandit's JSON and writes its own reports",
    "output": "pytest-devsecops reads bandit's JSON and writes its own reports",
    "msg-template": "pytest-devsecops writes its own reports",
    "aggregate": "pytest-devsecops writes its own reports",
    "number": "pytest-devsecops shows its own code snippet",
    "targets": "the scanned paths come from devsecops_paths",
    "recursive": "folders are always scanned recursively",
    "ignore-nosec": "devsecops_bandit_honour_nosec decides whether `# nosec` counts",
    "verbose": "not needed",
    "debug": "not needed",
    "quiet": "not needed",
}
# Config-file keys we apply ourselves (paths) or refuse; the rest is passed to bandit.
_OWN_KEYS = ("exclude_dirs", "exclude", "include", "baseline")


class BanditConfigError(ValueError):
    """The bandit settings cannot be read."""


@dataclasses.dataclass(frozen=True)
class BanditSettings:
    """bandit's effective settings and their consequences for coverage."""

    config: dict[str, Any]  # passed to bandit as its config file (paths and baseline removed)
    tests: tuple[str, ...] = ()
    skips: tuple[str, ...] = ()
    profile: str = ""
    removed_rules: tuple[tuple[str, str], ...] = ()  # (rule, where it is removed)
    path_excludes: tuple[tuple[str, str], ...] = ()  # (pattern, where it is set)
    refused: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    allow: frozenset[str] = frozenset()

    @property
    def fingerprint(self) -> str:
        """What bandit's output depends on, besides the file, the tool and ourselves."""
        data = [self.config, self.tests, self.skips, self.profile]
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    @property
    def unallowed_rules(self) -> tuple[tuple[str, str], ...]:
        return tuple(item for item in self.removed_rules if item[0] not in self.allow)

    def allowed_rule_skips(self) -> tuple[Skipped, ...]:
        return tuple(
            Skipped(f"rule {rule}", f"{where}; allowed by devsecops_bandit_allow_skips", True)
            for rule, where in self.removed_rules
            if rule in self.allow
        )

    def removed_by(self, rel: str) -> Skipped | None:
        """Whether a config exclude drops this root-relative file (bandit's own matching)."""
        for pattern, where in self.path_excludes:
            if _matches(rel, pattern):
                if pattern in self.allow:
                    reason = f"excluded by {pattern!r} in {where}; allowed"
                    return Skipped(rel, reason, deliberate=True)
                reason = (
                    f"excluded by {pattern!r} in {where} "
                    f"(allow it with devsecops_bandit_allow_skips = {pattern})"
                )
                return Skipped(rel, reason)
        return None


def read(root: Path, config_file: Path | None, allow: tuple[str, ...] = ()) -> BanditSettings:
    """Everything bandit would read for this project; raises BanditConfigError if unreadable."""
    ini = _read_ini(root / ".bandit")
    refused: list[str] = []
    notes: list[str] = []
    for key, value in sorted(ini.items()):
        if key == "baseline":
            refused.append(_refusal(".bandit", value))
        elif key in _IGNORED_INI:
            notes.append(f".bandit sets {key} = {value}: ignored ({_IGNORED_INI[key]})")
    chosen = config_file
    where = ""
    if chosen is None and ini.get("configfile"):
        chosen = root / ini["configfile"]
    if chosen is None and _has_bandit_table(root / "pyproject.toml"):
        chosen = root / "pyproject.toml"
    config: dict[str, Any] = {}
    if chosen is not None:
        where = _where(root, chosen)
        config = _read_config(chosen)
        if "baseline" in config:
            refused.append(_refusal(where, config["baseline"]))
    excludes = [(str(p), where) for p in _as_list(config.get("exclude_dirs"))]
    excludes += [(str(p), where) for p in _as_list(config.get("exclude"))]
    excludes += [(p, ".bandit") for p in _split(ini.get("exclude", ""))]
    tests = [(t, where) for t in _as_list(config.get("tests"))]
    tests += [(t, ".bandit") for t in _split(ini.get("tests", ""))]
    skips = [(s, where) for s in _as_list(config.get("skips"))]
    skips += [(s, ".bandit") for s in _split(ini.get("skips", ""))]
    profile = ini.get("profile", "")
    removed = {rule: f"skipped by {source}" for rule, source in skips}
    included = {t for t, _ in tests}
    if profile:
        chosen_profile = (config.get("profiles") or {}).get(profile)
        if not isinstance(chosen_profile, dict):
            raise BanditConfigError(f".bandit names profile {profile!r}, which {where} lacks")
        included |= set(_as_list(chosen_profile.get("include")))
        for rule in _as_list(chosen_profile.get("exclude")):
            removed.setdefault(rule, f"excluded by profile {profile!r}")
    if included:
        source = f"profile {profile!r}" if profile else ", ".join(sorted({w for _, w in tests}))
        for rule in all_rules() - included:
            removed.setdefault(rule, f"not in the tests selected by {source}")
    return BanditSettings(
        config={k: v for k, v in config.items() if k not in _OWN_KEYS},
        tests=tuple(t for t, _ in tests),
        skips=tuple(s for s, _ in skips),
        profile=profile,
        removed_rules=tuple(sorted(removed.items())),
        path_excludes=tuple(excludes),
        refused=tuple(refused),
        notes=tuple(notes),
        allow=frozenset(allow),
    )


def all_rules() -> set[str]:
    """Every rule id the installed bandit has (imported only when a config selects tests)."""
    # bandit.core.tester replaces warnings.formatwarning for the whole process on import:
    # put pytest's (and everyone's) formatter back.
    formatter = warnings.formatwarning
    with warnings.catch_warnings():  # stevedore's deprecation noise, not ours to fix
        warnings.simplefilter("ignore")
        from bandit.core import extension_loader

        manager = extension_loader.MANAGER
    warnings.formatwarning = formatter
    return set(manager.plugins_by_id) | set(manager.blacklist_by_id)


def _refusal(where: str, value: object) -> str:
    return (
        f"{where} sets a bandit baseline ({value}), which would hide every finding it lists; "
        "pytest-devsecops keeps its own baseline: remove the setting"
    )


def _read_ini(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), str(path))
    except (configparser.Error, OSError, UnicodeDecodeError) as exc:
        raise BanditConfigError(f".bandit cannot be read: {exc}") from None
    if not parser.has_section("bandit"):
        raise BanditConfigError(".bandit has no [bandit] section, so bandit would ignore it")
    return {key: value.strip() for key, value in parser.items("bandit")}


def _has_bandit_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "bandit" in tool


def _read_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BanditConfigError(f"bandit config {path.name} cannot be read: {exc}") from None
    try:
        if path.suffix == ".toml":
            tool = tomllib.loads(text).get("tool", {})
            data = tool.get("bandit", {}) if isinstance(tool, dict) else {}
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # any parse error means the config is unusable
        raise BanditConfigError(f"bandit config {path.name} is not valid: {exc}") from None
    if not isinstance(data, dict):
        raise BanditConfigError(f"bandit config {path.name} is not a mapping of settings")
    return data


def _where(root: Path, path: Path) -> str:
    try:
        name = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        name = path.as_posix()
    return f"{name} [tool.bandit]" if path.name == "pyproject.toml" else name


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return _split(value)
    if isinstance(value, list | tuple | set):
        return [str(item).strip() for item in value if str(item).strip()]
    return [str(value)]


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _matches(rel: str, pattern: str) -> bool:
    """bandit's exclude test: a glob match, or the pattern anywhere in the path."""
    pattern = pattern.strip()
    if not pattern:
        return False
    candidates = (rel, "./" + rel)
    return any(fnmatch.fnmatch(c, pattern) or pattern in c for c in candidates)
