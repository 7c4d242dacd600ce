"""Structural checks of a SARIF 2.1.0 log: what our import reads must be there and well typed.

Not the full OASIS schema (that would make jsonschema and a 110 kB schema part of every run):
every field the import uses is checked for presence and type, with a message that names where
in the file the problem is, so "not valid SARIF" is never a guess.
"""

from __future__ import annotations

from typing import Any

LEVELS = ("none", "note", "warning", "error")
KINDS = ("notApplicable", "pass", "fail", "review", "open", "informational")
MAX_RESULTS = 100_000


class InvalidSarif(ValueError):
    """The document is not a SARIF 2.1.0 log our import can read; the message says where."""


def _expect(condition: bool, where: str, problem: str) -> None:
    if not condition:
        raise InvalidSarif(f"{where}: {problem}")


def _object(value: Any, where: str) -> dict[str, Any]:
    _expect(isinstance(value, dict), where, "must be an object")
    return value  # type: ignore[no-any-return]


def _text(value: Any, where: str) -> None:
    _expect(isinstance(value, str), where, "must be a string")


def _optional(container: dict[str, Any], key: str, kind: type, where: str) -> None:
    if key in container:
        _expect(isinstance(container[key], kind), f"{where}.{key}", f"must be {kind.__name__}")


def validate(log: Any) -> None:
    """Raise `InvalidSarif` unless `log` is a SARIF 2.1.0 log with readable runs and results."""
    document = _object(log, "the document")
    _expect(document.get("version") == "2.1.0", "version", 'must be "2.1.0"')
    runs = document.get("runs")
    if not isinstance(runs, list):
        raise InvalidSarif("runs: must be an array")
    total = 0
    for number, run in enumerate(runs):
        where = f"runs[{number}]"
        _object(run, where)
        driver = _object(
            _object(run.get("tool"), f"{where}.tool").get("driver"), f"{where}.tool.driver"
        )
        name = driver.get("name")
        _expect(
            isinstance(name, str) and name.strip() != "",
            f"{where}.tool.driver.name",
            "must be a non-empty string",
        )
        _optional(driver, "version", str, f"{where}.tool.driver")
        _optional(driver, "rules", list, f"{where}.tool.driver")
        for index, rule in enumerate(driver.get("rules") or ()):
            _rule(
                _object(rule, f"{where}.tool.driver.rules[{index}]"),
                f"{where}.tool.driver.rules[{index}]",
            )
        _optional(run, "originalUriBaseIds", dict, where)
        results = run.get("results", [])
        _expect(isinstance(results, list), f"{where}.results", "must be an array")
        total += len(results)
        _expect(total <= MAX_RESULTS, where, f"more than {MAX_RESULTS} results; split the file")
        for index, result in enumerate(results):
            _result(_object(result, f"{where}.results[{index}]"), f"{where}.results[{index}]")


def _rule(rule: dict[str, Any], where: str) -> None:
    _expect(isinstance(rule.get("id"), str), f"{where}.id", "must be a string")
    for key in ("shortDescription", "fullDescription", "help"):
        if key in rule:
            _text(_object(rule[key], f"{where}.{key}").get("text"), f"{where}.{key}.text")
    _optional(rule, "properties", dict, where)
    _optional(rule, "helpUri", str, where)
    configuration = rule.get("defaultConfiguration")
    if configuration is not None:
        level = _object(configuration, f"{where}.defaultConfiguration").get("level", "warning")
        _expect(level in LEVELS, f"{where}.defaultConfiguration.level", f"must be one of {LEVELS}")


def _result(result: dict[str, Any], where: str) -> None:
    message = _object(result.get("message"), f"{where}.message")
    _expect(
        isinstance(message.get("text"), str) or isinstance(message.get("id"), str),
        f"{where}.message",
        "needs a text or an id",
    )
    rule = result.get("rule")
    _expect(
        isinstance(result.get("ruleId"), str)
        or (isinstance(rule, dict) and isinstance(rule.get("id"), str)),
        where,
        "needs a ruleId (or rule.id)",
    )
    _expect(result.get("level", "warning") in LEVELS, f"{where}.level", f"must be one of {LEVELS}")
    _expect(result.get("kind", "fail") in KINDS, f"{where}.kind", f"must be one of {KINDS}")
    _optional(result, "ruleIndex", int, where)
    _optional(result, "properties", dict, where)
    for key in ("partialFingerprints", "fingerprints"):
        if key in result:
            prints = _object(result[key], f"{where}.{key}")
            _expect(
                all(isinstance(v, str) for v in prints.values()),
                f"{where}.{key}",
                "values must be strings",
            )
    locations = result.get("locations", [])
    _expect(isinstance(locations, list), f"{where}.locations", "must be an array")
    for index, location in enumerate(locations):
        _location(_object(location, f"{where}.locations[{index}]"), f"{where}.locations[{index}]")


def _location(location: dict[str, Any], where: str) -> None:
    physical = location.get("physicalLocation")
    if physical is None:
        return
    where = f"{where}.physicalLocation"
    physical = _object(physical, where)
    artifact = physical.get("artifactLocation")
    if artifact is not None:
        artifact = _object(artifact, f"{where}.artifactLocation")
        _optional(artifact, "uri", str, f"{where}.artifactLocation")
        _optional(artifact, "uriBaseId", str, f"{where}.artifactLocation")
    region = physical.get("region")
    if region is not None:
        region = _object(region, f"{where}.region")
        for key in ("startLine", "startColumn", "endLine", "endColumn"):
            if key in region:
                value = region[key]
                _expect(
                    isinstance(value, int) and not isinstance(value, bool) and value >= 1,
                    f"{where}.region.{key}",
                    "must be an integer >= 1",
                )
        if "snippet" in region:
            _optional(
                _object(region["snippet"], f"{where}.region.snippet"),
                "text",
                str,
                f"{where}.region.snippet",
            )
