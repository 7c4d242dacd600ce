"""Find the infrastructure files trivy should check, by name and content, the way trivy does."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml

_MAX_BYTES = 5 * 1024 * 1024  # larger files are still candidates, but not parsed by us
_SNIFF_BYTES = 256 * 1024  # enough to see apiVersion/kind or a CloudFormation header
_YAML = (".yaml", ".yml")
_NOT_DOCKERFILES = (".md", ".rst", ".txt", ".py", ".sh", ".ps1")
_K8S = (re.compile(rb"(?m)^apiVersion\s*:"), re.compile(rb"(?m)^kind\s*:"))
_INDENTED_KIND = re.compile(rb"(?m)^\s+kind\s*:")
_K8S_JSON = (re.compile(rb'"apiVersion"\s*:'), re.compile(rb'"kind"\s*:'))
_CLOUDFORMATION = re.compile(rb"AWSTemplateFormatVersion|[\"']?Type[\"']?\s*:\s*[\"']?AWS::")
_ARM = re.compile(rb"schema\.management\.azure\.com/schemas/[^\"]*deploymentTemplate")
_COMPOSE = re.compile(r"^(docker-)?compose(\.[\w-]+)?\.ya?ml$")
# Kubernetes-looking YAML that is not a resource trivy checks (client configs, kustomize).
_NOT_RESOURCES = re.compile(rb"(?m)^kind\s*:\s*[\"']?(Config|Kustomization|Component)[\"']?\s*$")


@dataclasses.dataclass(frozen=True)
class ConfigFile:
    """A file (or, for a Helm chart, a folder) that a config scanner is expected to check."""

    path: Path
    kind: str
    problem: str = ""  # why our own parser could not read it ('' when it could)


def walk(paths: Sequence[Path], excludes: Sequence[str]) -> Iterator[Path]:
    """Every regular file under `paths`, skipping excluded folder names and symbolic links."""
    skip = set(excludes)
    for top in paths:
        if top.is_file() and not top.is_symlink():
            yield top
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(name for name in dirs if name not in skip)
            for name in sorted(files):
                path = Path(folder) / name
                if not path.is_symlink():
                    yield path


def find_config_files(paths: Sequence[Path], excludes: Sequence[str]) -> list[ConfigFile]:
    """The Dockerfiles, Terraform, Kubernetes, Helm, CloudFormation, ARM and compose files."""
    files = list(walk(paths, excludes))
    charts = sorted({path.parent for path in files if path.name == "Chart.yaml"})
    found = [ConfigFile(chart, "helm") for chart in charts]
    for path in files:
        if any(chart in path.parents for chart in charts):
            continue  # templates are rendered by trivy's Helm scanner, not parsed as YAML
        kind = _kind(path)
        if kind:
            found.append(ConfigFile(path, kind, _problem(path, kind)))
        elif _broken_manifest(path):
            # `kind:` knocked out of column 0 by a bad indent: still a manifest, and broken.
            found.append(ConfigFile(path, "kubernetes", _problem(path, "kubernetes")))
    return found


def _kind(path: Path) -> str:
    name, lower = path.name, path.name.lower()
    if name.startswith(("Dockerfile", "Containerfile")) or lower.endswith(
        (".dockerfile", ".containerfile")
    ):
        return "" if lower.endswith(_NOT_DOCKERFILES) else "dockerfile"
    if lower.endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json")):
        return "terraform"
    if _COMPOSE.match(lower):
        return "compose"
    if not lower.endswith((*_YAML, ".json", ".template")):
        return ""
    head = _head(path)
    if _CLOUDFORMATION.search(head):
        return "cloudformation"
    if lower.endswith(".json"):
        if _ARM.search(head):
            return "azure-arm"
        return "kubernetes" if all(rx.search(head) for rx in _K8S_JSON) else ""
    if lower.endswith(_YAML) and all(rx.search(head) for rx in _K8S):
        return "" if _NOT_RESOURCES.search(head) else "kubernetes"
    return ""


def _broken_manifest(path: Path) -> bool:
    if not path.name.lower().endswith(_YAML):
        return False
    head = _head(path)
    if not (_K8S[0].search(head) and _INDENTED_KIND.search(head)):
        return False
    return bool(_problem(path, "kubernetes"))


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except OSError:
        return b""


def _problem(path: Path, kind: str) -> str:
    """Our own parse of YAML/JSON candidates: trivy says nothing about a broken YAML file."""
    if kind not in ("kubernetes", "cloudformation", "azure-arm", "compose"):
        return ""
    try:
        if path.stat().st_size > _MAX_BYTES:
            return ""
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot be read as UTF-8 text: {exc}"
    try:
        if path.name.lower().endswith(".json"):
            json.loads(text)
        else:
            # compose_all checks the whole stream's syntax without building Python objects.
            for _ in yaml.compose_all(text, Loader=yaml.SafeLoader):
                pass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        return f"not valid YAML: {where}{exc.problem or exc}"
    except (ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if path.name.lower().endswith(".json") else "YAML"
        return f"not valid {kind}: " + " ".join(str(exc).split())
    return ""
