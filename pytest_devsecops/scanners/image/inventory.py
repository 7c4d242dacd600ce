"""An image's inventory from trivy: OS, packages, config checks and secrets, no trivy database.

trivy is asked only for what needs no vulnerability database (`--scanners misconfig,secret`
with `--list-all-pkgs`); we match the packages against OSV ourselves. Only fields that cannot
carry a secret are kept: trivy's `Code` excerpts show neighbouring lines unmasked, so they are
never read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..trivy import run_trivy
from .ecosystems import LANGUAGE_ECOSYSTEMS


class InventoryError(Exception):
    """trivy could not read the image (or said something we cannot read)."""


@dataclasses.dataclass(frozen=True)
class Package:
    """An installed package: `name`/`version` as OSV knows them (the source package for OSes)."""

    kind: str  # "os" or trivy's language type ("python-pkg")
    name: str
    version: str
    installed_name: str  # the binary package (zlib1g), for messages
    purl: str
    layer: str = ""
    path: str = ""


@dataclasses.dataclass(frozen=True)
class ConfigIssue:
    """A failed image configuration check (runs as root, no HEALTHCHECK, secrets in ENV)."""

    check: str
    title: str
    severity: str
    message: str
    resolution: str
    url: str


@dataclasses.dataclass(frozen=True)
class LayerSecret:
    """A secret trivy found in a file of a layer; `match` is trivy's masked line."""

    rule: str
    title: str
    severity: str
    path: str
    line: int
    match: str
    layer_command: str = ""


@dataclasses.dataclass(frozen=True)
class ImageInventory:
    """What an image holds, as far as the scanner needs it."""

    reference: str  # the name it is reported under (its first repo tag, else as configured)
    image_id: str
    os_family: str
    os_release: str
    layers: int
    packages: tuple[Package, ...]
    config_issues: tuple[ConfigIssue, ...]
    secrets: tuple[LayerSecret, ...]
    user: str = ""  # the image's configured USER ("" runs as root)
    config_checked: bool = False  # trivy reported on the image configuration at all


def read_inventory(
    trivy: Path, target: str, is_file: bool, workdir: Path, timeout: float, configured: str
) -> ImageInventory:
    """Run trivy on one image (an `--input` archive or layout, or a name trivy resolves) and
    parse its report; every failure is an InventoryError."""
    args = ["--scanners", "misconfig,secret", "--image-config-scanners", "misconfig,secret"]
    args.append("--list-all-pkgs")
    targets = [] if is_file else [target]
    if is_file:
        args += ["--input", target]
    run = run_trivy(trivy, "image", args, targets, timeout=timeout, workdir=workdir / "image")
    if run.error:
        raise InventoryError(f"trivy could not read the image {configured}: {run.error}")
    return parse_report(run.data, configured)


def parse_report(report: Any, configured: str) -> ImageInventory:
    """The inventory in trivy's JSON report (schema version 2)."""
    if not isinstance(report, Mapping) or report.get("SchemaVersion") != 2:
        raise InventoryError("trivy's report is not the JSON schema version 2 we read")
    metadata = report.get("Metadata") or {}
    os_info = metadata.get("OS") or {}
    packages: list[Package] = []
    issues: list[ConfigIssue] = []
    secrets: list[LayerSecret] = []
    config_checked = False
    for result in _list(report.get("Results")):
        result_class = str(result.get("Class", ""))
        config_checked |= result_class == "config"
        for item in _list(result.get("Packages")):
            package = _package(result_class, str(result.get("Type", "")), item)
            if package is not None:
                packages.append(package)
        for item in _list(result.get("Misconfigurations")):
            if item.get("Status", "FAIL") != "FAIL":
                continue
            issues.append(
                ConfigIssue(
                    check=str(item.get("ID", "")),
                    title=str(item.get("Title", "")),
                    severity=str(item.get("Severity", "UNKNOWN")),
                    message=str(item.get("Message", "")),
                    resolution=str(item.get("Resolution", "")),
                    url=str(item.get("PrimaryURL", "")),
                )
            )
        for item in _list(result.get("Secrets")):
            layer = item.get("Layer") or {}
            secrets.append(
                LayerSecret(
                    rule=str(item.get("RuleID", "")),
                    title=str(item.get("Title", "")),
                    severity=str(item.get("Severity", "UNKNOWN")),
                    path="/" + str(result.get("Target", "")).lstrip("/"),
                    line=int(item.get("StartLine") or 0),
                    match=str(item.get("Match", "")),
                    layer_command=str(layer.get("CreatedBy", "")),
                )
            )
    tags = _list(metadata.get("RepoTags"))
    image_config = (metadata.get("ImageConfig") or {}).get("config") or {}
    return ImageInventory(
        reference=str(tags[0]) if tags else configured,
        image_id=str(metadata.get("ImageID", "")),
        os_family=str(os_info.get("Family", "")),
        os_release=str(os_info.get("Name", "")),
        layers=len(_list(metadata.get("DiffIDs"))),
        packages=tuple(sorted(packages, key=lambda p: (p.kind, p.name, p.version, p.path))),
        config_issues=tuple(sorted(issues, key=lambda i: i.check)),
        secrets=tuple(sorted(secrets, key=lambda s: (s.path, s.line, s.rule))),
        user=str(image_config.get("User") or ""),
        config_checked=config_checked,
    )


def _package(result_class: str, result_type: str, item: Mapping[str, Any]) -> Package | None:
    purl = str((item.get("Identifier") or {}).get("PURL", ""))
    layer = str((item.get("Layer") or {}).get("DiffID", ""))
    if result_class == "os-pkgs":
        # OSV's distro advisories name source packages at source versions (with the epoch).
        name = str(item.get("SrcName") or item.get("Name") or "")
        epoch = (
            item.get("SrcEpoch", item.get("Epoch")) if item.get("SrcName") else item.get("Epoch")
        )
        version = str(item.get("SrcVersion") or item.get("Version") or "")
        release = str(item.get("SrcRelease") or item.get("Release") or "")
        full = (f"{epoch}:" if epoch else "") + version + (f"-{release}" if release else "")
        return Package("os", name, full, str(item.get("Name", "")), purl, layer)
    if result_class == "lang-pkgs" and result_type in LANGUAGE_ECOSYSTEMS:
        name = str(item.get("Name", ""))
        return Package(
            result_type,
            name,
            str(item.get("Version", "")),
            name,
            purl,
            layer,
            str(item.get("FilePath", "")),
        )
    return None


def _list(value: Any) -> Sequence[Any]:
    return (
        [entry for entry in value if isinstance(entry, (Mapping, str))]
        if isinstance(value, list)
        else []
    )
