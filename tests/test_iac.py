"""The iac scanner: trivy config offline, every configuration file accounted for."""

from __future__ import annotations

from pathlib import Path

import pytest
from infra_trees import (
    HARDENED_DOCKERFILE,
    PRIVILEGED_DEPLOYMENT,
    ROOT_DOCKERFILE,
    TERRAFORM,
    write,
)

from pytest_devsecops.core.finding import ScanResult
from pytest_devsecops.scanners.config_files import find_config_files
from pytest_devsecops.scanners.iac import IacScanner
from pytest_devsecops.scanners.interface import ScanContext
from pytest_devsecops.scanners.tools import find_tool
from pytest_devsecops.settings import DEFAULT_EXCLUDES

pytestmark = pytest.mark.skipif(not find_tool("trivy").found, reason="trivy is not installed")


def scan(root: Path, tmp_path: Path, **options: object) -> ScanResult:
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    context = ScanContext(
        root=root, paths=(root,), excludes=DEFAULT_EXCLUDES, timeout=120, workdir=workdir
    )
    return IacScanner(**options).scan(context)  # type: ignore[arg-type]


def rules_at(result: ScanResult) -> set[tuple[str, str]]:
    return {(finding.rule, finding.item_label) for finding in result.findings}


def test_the_classic_mistakes_are_reported_and_the_hardened_twin_is_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(
        tmp_path / "project",
        {
            "infra/Dockerfile": ROOT_DOCKERFILE,
            "hardened/Dockerfile": HARDENED_DOCKERFILE,
            "infra/main.tf": TERRAFORM,
            "k8s/web.yaml": PRIVILEGED_DEPLOYMENT,
            # A repository cannot switch checks off: neither file is read.
            "trivy.yaml": "misconfiguration:\n  scanners: []\nseverity: [CRITICAL]\n",
            ".trivyignore": "DS-0002\nDS-0001\nKSV-0017\n",
            "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            "chart/values.yaml": "image: nginx:1.27\n",
            "chart/templates/web.yaml": PRIVILEGED_DEPLOYMENT.replace(
                "nginx:latest", "{{ .Values.image }}"
            ),
        },
    )
    monkeypatch.chdir(root)  # where trivy would look for trivy.yaml and .trivyignore
    result = scan(root, tmp_path)
    assert result.complete, result.error or result.coverage.gaps
    found = rules_at(result)
    assert ("DS-0002", "infra/Dockerfile") in found  # runs as root
    assert ("DS-0001", "infra/Dockerfile") in found  # :latest
    assert ("AWS-0107", "infra/main.tf:aws_security_group.ssh") in found  # SSH open to 0.0.0.0/0
    assert ("AWS-0092", "infra/main.tf:aws_s3_bucket.public") in found  # public ACL
    assert ("KSV-0017", "k8s/web.yaml") in found  # privileged
    assert ("KSV-0017", "chart/templates/web.yaml") in found  # the same, rendered by Helm
    assert not [f for f in result.findings if f.location.path.startswith("hardened/")]
    assert set(result.coverage.scanned) == {
        "infra/Dockerfile",
        "hardened/Dockerfile",
        "infra/main.tf",
        "k8s/web.yaml",
        "chart",
    }
    assert "embedded checks" in result.version
    root_user = next(f for f in result.findings if f.rule == "DS-0002")
    assert root_user.severity.value == "high"
    assert root_user.remediation
    assert root_user.references[0].startswith("https://")
    latest = next(f for f in result.findings if f.rule == "DS-0001")
    assert latest.location.line == 1
    assert latest.snippet == "FROM ubuntu:latest"


def test_files_trivy_could_not_parse_fail_the_status_and_are_named(tmp_path: Path) -> None:
    root = write(
        tmp_path / "project",
        {
            "infra/main.tf": TERRAFORM,
            "infra/broken.tf": 'resource "aws_s3_bucket" "x" {\n  bucket = \n',
            "k8s/broken.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n spec: [\n",
            "k8s/indent.yaml": "apiVersion: v1\n  kind: Pod\nmetadata: {}\n",
            "Dockerfile.bad": "FROM\n",
            "Dockerfile-prod": "FROM alpine:3.20\nUSER nobody\n",
        },
    )
    result = scan(root, tmp_path)
    assert not result.complete
    gaps = {skip.target: skip.reason for skip in result.coverage.gaps}
    assert set(gaps) == {
        "infra/broken.tf",
        "k8s/broken.yaml",
        "k8s/indent.yaml",
        "Dockerfile.bad",
        "Dockerfile-prod",
    }
    assert "Invalid expression" in gaps["infra/broken.tf"]
    assert gaps["k8s/broken.yaml"].startswith("not valid YAML: line 5")
    assert "FROM requires" in gaps["Dockerfile.bad"]
    assert "trivy did not scan it" in gaps["Dockerfile-prod"]
    # The parseable file next to the broken one is still scanned and reported.
    assert "infra/main.tf" in result.coverage.scanned
    assert any(f.location.path == "infra/main.tf" for f in result.findings)


def test_a_project_without_configuration_files_passes_and_says_so(tmp_path: Path) -> None:
    root = write(tmp_path / "project", {"app.py": "print('hi')\n"})
    result = scan(root, tmp_path)
    assert result.complete
    assert result.findings == ()
    assert result.notes == ("no configuration files",)
    assert result.coverage.unit == "configuration files"


def test_compose_files_are_listed_as_not_checked_on_purpose(tmp_path: Path) -> None:
    root = write(tmp_path / "project", {"compose.yaml": "services:\n  web:\n    image: x\n"})
    result = scan(root, tmp_path)
    assert result.complete
    (skip,) = result.coverage.skipped
    assert skip.deliberate
    assert "docker-compose" in skip.reason


def test_excluded_folders_are_neither_candidates_nor_scanned(tmp_path: Path) -> None:
    root = write(
        tmp_path / "project",
        {"node_modules/x/Dockerfile": "FROM\n", ".venv/k8s.yaml": "apiVersion: v1\nkind: Pod\n"},
    )
    result = scan(root, tmp_path)
    assert result.complete, result.coverage.gaps
    assert result.coverage.requested == ()


def test_a_missing_trivy_is_an_error_when_named_and_a_skip_otherwise(tmp_path: Path) -> None:
    named = scan(tmp_path, tmp_path, trivy_path=tmp_path / "no-trivy", required=True)
    assert "is not a file" in named.error
    assert "pytest-devsecops[trivy]" in named.hint
    default = scan(tmp_path, tmp_path, trivy_path=tmp_path / "no-trivy")
    assert not default.error
    assert not default.complete
    assert "pytest-devsecops[trivy]" in default.unavailable


def test_config_files_are_found_by_name_and_content(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a/Containerfile": "FROM x\n",
            "b/app.dockerfile": "FROM x\n",
            "c/vars.tfvars": "a = 1\n",
            "d/stack.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources: {}\n',
            "e/pod.yml": "apiVersion: v1\nkind: Pod\n",
            "e/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
            "e/notes.yaml": "kind: of\n",
            "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
            "chart/templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {{ x }}\n",
            "docs/Dockerfile.md": "# not a Dockerfile\n",
        },
    )
    found = {
        (path.relative_to(tmp_path).as_posix(), kind, bool(problem))
        for path, kind, problem in (
            (item.path, item.kind, item.problem) for item in find_config_files([tmp_path], ())
        )
    }
    assert found == {
        ("a/Containerfile", "dockerfile", False),
        ("b/app.dockerfile", "dockerfile", False),
        ("c/vars.tfvars", "terraform", False),
        ("d/stack.yaml", "cloudformation", False),
        ("e/pod.yml", "kubernetes", False),
        ("chart", "helm", False),
    }


RULE_HEADER = """\
# METADATA
# title: t
# schemas:
#   - input: schema["cloud"]
# custom:
#   id: TEAM-001
#   avd_id: TEAM-001
#   severity: LOW
#   input:
#     selector:
#       - type: cloud
package team.s3
import rego.v1
"""


def test_a_rego_check_with_a_type_error_fails_the_status(tmp_path: Path) -> None:
    # trivy logs this one at ERROR level and carries on without the check: fail closed.
    bad = RULE_HEADER + (
        "deny contains res if {\n  some b in input.aws.s3.buckets\n  not b.tags.owner\n"
        '  res := result.new("x", b)\n}\n'
    )
    root = write(tmp_path / "project", {"main.tf": TERRAFORM, "policies/team.rego": bad})
    result = scan(root, tmp_path, rego=root / "policies")
    assert "does not compile" in result.error
    assert "rego_type_error" in result.error
    assert "devsecops_rego = policies" in result.hint


def test_a_working_rego_check_reports_under_its_own_id(tmp_path: Path) -> None:
    good = RULE_HEADER + (
        "deny contains res if {\n  some b in input.aws.s3.buckets\n"
        '  b.name.value == "public-data"\n  res := result.new("named public", b)\n}\n'
    )
    root = write(tmp_path / "project", {"main.tf": TERRAFORM, "policies/team.rego": good})
    result = scan(root, tmp_path, rego=root / "policies")
    assert result.complete, result.error
    assert ("TEAM-001", "main.tf:aws_s3_bucket.public") in rules_at(result)
    assert "1 Rego file from policies" in result.version


@pytest.mark.parametrize(
    ("files", "message"),
    [({}, "does not exist"), ({"policies/README.md": "x"}, "holds no .rego files")],
)
def test_an_unusable_rego_folder_fails_the_status(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    root = write(tmp_path / "project", {"main.tf": TERRAFORM, **files})
    assert message in scan(root, tmp_path, rego=root / "policies").error
