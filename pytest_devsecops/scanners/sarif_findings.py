"""One validated SARIF run → our findings: severity, repository location, identity, details."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ..core import paths
from ..core.finding import Finding, Location
from ..core.fingerprint import normalise_code
from ..core.severity import Severity

# SARIF `level` → our scale, used when neither the result nor its rule has a security-severity.
LEVEL_SEVERITY = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "note": Severity.LOW,
    "none": Severity.INFO,
}
_NOT_FINDINGS = ("pass", "notApplicable")
_CWE = re.compile(r"(?i)\bcwe[-/]?(\d{1,5})\b")
_UNSAFE = re.compile(r"[^A-Za-z0-9._:/@+-]+")


class OutsideRepository(str):
    """A result whose location is not a file inside the repository (its URI, for the message)."""


def safe_name(text: str) -> str:
    """A tool or rule name fit for a node id: no spaces, brackets or control characters."""
    return _UNSAFE.sub("-", text.strip()).strip("-") or "unnamed"


def score_severity(score: float) -> Severity:
    """GitHub's security-severity bands: 9.0+ critical, 7.0+ high, 4.0+ medium, above 0 low."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW if score > 0 else Severity.INFO


def findings_of_run(
    run: dict[str, Any], source: str, root: Path
) -> Iterator[Finding | OutsideRepository]:
    """Every result of `run` (from the file `source`) as a finding, or where it points outside."""
    driver = run["tool"]["driver"]
    tool = safe_name(driver["name"])
    rules = driver.get("rules") or []
    by_id = {rule["id"]: rule for rule in rules}
    bases = run.get("originalUriBaseIds") or {}
    for result in run.get("results") or ():
        if result.get("kind", "fail") in _NOT_FINDINGS:
            continue
        rule_id = result.get("ruleId") or result["rule"]["id"]
        index = result.get("ruleIndex")
        rule = (
            rules[index]
            if isinstance(index, int) and 0 <= index < len(rules)
            else by_id.get(rule_id, {})
        )
        where = _location(result, bases, root)
        if isinstance(where, OutsideRepository):
            yield where
            continue
        yield _finding(tool, driver, rule_id, rule, result, where or Location(path=source), source)


def _finding(
    tool: str,
    driver: dict[str, Any],
    rule_id: str,
    rule: dict[str, Any],
    result: dict[str, Any],
    where: Location,
    source: str,
) -> Finding:
    severity, because = _severity(result, rule)
    message = result["message"].get("text") or _text(rule, "shortDescription") or rule_id
    title = " ".join(message.split())
    snippet = _snippet(result)
    prints = result.get("partialFingerprints") or result.get("fingerprints") or {}
    if prints:
        identity = "sarif-fingerprints\x1f" + "\x1f".join(
            f"{k}={v}" for k, v in sorted(prints.items())
        )
    else:
        # Our own rule: the file and the code (or the message), never the line number.
        identity = f"{where.path}\x1f{normalise_code(snippet or title)}"
    details = [
        ("tool", f"{driver['name']} {driver.get('version', '')}".strip()),
        ("imported from", source),
        ("severity from", because),
    ]
    if prints:
        details.append(("fingerprints", ", ".join(sorted(prints))))
    if result.get("suppressions"):
        details.append(("suppressed in the SARIF file", "yes (our baseline decides here)"))
    references = tuple(
        ref for ref in (rule.get("helpUri"), result.get("hostedViewerUri")) if isinstance(ref, str)
    )
    return Finding(
        scanner="sarif",
        rule=f"{tool}/{safe_name(rule_id)}",
        title=title if len(title) <= 200 else title[:197] + "...",
        severity=severity,
        location=where,
        identity=identity,
        confidence=str((rule.get("properties") or {}).get("precision", "")),
        cwe=_cwe(rule),
        snippet=snippet,
        remediation=_text(rule, "help")[:1000],
        references=references,
        details=tuple(details),
    )


def _severity(result: dict[str, Any], rule: dict[str, Any]) -> tuple[Severity, str]:
    for owner, properties in (
        ("result", result.get("properties")),
        ("rule", rule.get("properties")),
    ):
        value = (properties or {}).get("security-severity")
        if value is None:
            continue
        try:
            score = float(value)
        except (TypeError, ValueError):
            continue
        if 0 <= score <= 10:
            return score_severity(score), f"{owner} security-severity {score:g}"
    level = (
        result.get("level") or (rule.get("defaultConfiguration") or {}).get("level") or "warning"
    )
    return LEVEL_SEVERITY[level], f"SARIF level {level}"


def _location(
    result: dict[str, Any], bases: dict[str, Any], root: Path
) -> Location | OutsideRepository | None:
    for location in result.get("locations") or ():
        physical = location.get("physicalLocation") or {}
        uri = (physical.get("artifactLocation") or {}).get("uri")
        if not uri:
            continue
        base = (bases.get((physical.get("artifactLocation") or {}).get("uriBaseId", "")) or {}).get(
            "uri", ""
        )
        path = _repository_path(uri, base if isinstance(base, str) else "", root)
        if path is None:
            return OutsideRepository(uri)
        region = physical.get("region") or {}
        return Location(
            path=path, line=region.get("startLine", 0), column=region.get("startColumn", 0)
        )
    return None


def _repository_path(uri: str, base: str, root: Path) -> str | None:
    """`uri` as a repository-relative path, or None when it names anything outside `root`."""
    target = _file_path(uri)
    if target is None:
        return None
    if not target.is_absolute():
        anchor = _file_path(base) if base else root
        if anchor is None or not anchor.is_absolute():
            anchor = root if anchor is None else root / anchor
        target = anchor / target
    candidate = Path(os.path.normpath(target))
    # The one containment check (links resolved: a path inside the tree that links out of it
    # is outside).
    if not paths.is_inside(candidate, root):
        return None
    return candidate.resolve().relative_to(root.resolve()).as_posix() or "."


def _file_path(uri: str) -> Path | None:
    parts = urlsplit(uri)
    if parts.scheme and parts.scheme != "file":
        return None
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            return None
        return Path(url2pathname(parts.path))
    return Path(unquote(parts.path))


def _snippet(result: dict[str, Any]) -> str:
    for location in result.get("locations") or ():
        region = (location.get("physicalLocation") or {}).get("region") or {}
        text = (region.get("snippet") or {}).get("text")
        if isinstance(text, str):
            return text[:2000]
    return ""


def _text(rule: dict[str, Any], key: str) -> str:
    value = rule.get(key)
    return str(value.get("text", "")) if isinstance(value, dict) else ""


def _cwe(rule: dict[str, Any]) -> int | None:
    tags = (rule.get("properties") or {}).get("tags") or []
    for tag in tags if isinstance(tags, list) else ():
        found = _CWE.search(str(tag))
        if found:
            return int(found.group(1))
    return None
