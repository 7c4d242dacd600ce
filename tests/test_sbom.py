"""The CycloneDX SBOM describes the product: its name, its own dependencies, scores and triage."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from pytest_devsecops.reporters.cyclonedx import source_of

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"
ADVISORIES = EXAMPLE / "advisories"


def _sbom(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    return json.loads(text)  # type: ignore[no-any-return]


def _accept(baseline: Path, rule: str, reason: str) -> None:
    """Fill in the team's words for `rule` in a freshly written baseline."""
    blocks = baseline.read_text().split("\n  - ")
    for index, block in enumerate(blocks):
        if f"rule: {rule}\n" in block:
            block = re.sub(r"reason: .*", f'reason: "{reason}"', block)
            block = re.sub(r"owner: .*", "owner: web team", block)
            blocks[index] = re.sub(r"expires: .*", "expires: 2099-01-31", block)
    baseline.write_text("\n  - ".join(blocks))


@pytest.fixture
def example(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copytree(
        EXAMPLE, pytester.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".pytest_cache")
    )
    return pytester


def test_the_example_sbom_names_the_product_and_carries_scores_cwes_and_reasons(
    example: pytest.Pytester,
) -> None:
    args = ("--devsecops", "--devsecops-scanners=pip-audit", "-p", "no:cacheprovider", "-k", "pip")
    example.runpytest(*args, "--devsecops-update-baseline")
    baseline = example.path / ".devsecops-baseline.yml"
    _accept(baseline, "PYSEC-2019-217", "not_affected: templates never come from users")
    _accept(baseline, "PYSEC-2023-192", "cookies are not used with redirects")
    example.runpytest(*args, "--devsecops-sbom=sbom.json")
    sbom = _sbom(example.path / "sbom.json")
    assert sbom["metadata"]["component"]["name"] == "shop"
    assert sbom["metadata"]["component"]["purl"] == "pkg:pypi/shop@0.1.0"
    names = {component["name"] for component in sbom["components"]}
    assert names == {"jinja2", "pyyaml", "requests", "urllib3"}
    vulns = {vuln["id"]: vuln for vuln in sbom["vulnerabilities"]}
    cookie = vulns["PYSEC-2023-192"]
    assert cookie["ratings"][0]["score"] == 8.1
    assert cookie["ratings"][0]["vector"].startswith("AV:N/AC:L")
    assert cookie["cwes"] == [200]
    assert cookie["published"].startswith("2023-")
    assert {"range": "vers:pypi/>=0|<1.26.17", "status": "affected"} in cookie["affects"][0][
        "versions"
    ]
    assert cookie["analysis"]["state"] == "in_triage"
    assert "cookies are not used with redirects" in cookie["analysis"]["detail"]
    assert "owner: web team" in cookie["analysis"]["detail"]
    assert "expires: 2099-01-31" in cookie["analysis"]["detail"]
    assert vulns["PYSEC-2019-217"]["analysis"]["state"] == "not_affected"
    # Accepted by the update, but nobody wrote why yet: still in triage, and it says so.
    assert "(no reason given)" in vulns["PYSEC-2018-28"]["analysis"]["detail"]
    sources = {ref["id"]: ref["source"]["name"] for ref in cookie["references"]}
    assert sources == {"CVE-2023-43804": "NVD", "GHSA-v845-jxx5-vc9f": "GitHub"}
    assert cookie["source"]["name"] == "OSV"


def test_requirement_hashes_reach_the_components(pytester: pytest.Pytester) -> None:
    digest = "a" * 64
    (pytester.path / "requirements.txt").write_text(
        f"pyyaml==5.1 \\\n    --hash=sha256:{digest}\nurllib3==1.26.18  # no hash\n"
    )
    pytester.makepyprojecttoml(
        textwrap.dedent(
            f"""
            [tool.pytest.ini_options]
            devsecops_scanners = ["pip-audit"]
            devsecops_requirements = ["requirements.txt"]
            devsecops_osv_db = "{ADVISORIES}"
            """
        )
    )
    pytester.runpytest("--devsecops", "--devsecops-sbom=sbom.json")
    sbom = _sbom(pytester.path / "sbom.json")
    hashes = {c["name"]: c.get("hashes") for c in sbom["components"]}
    assert hashes == {"pyyaml": [{"alg": "SHA-256", "content": digest}], "urllib3": None}
    # No [project]: the folder names the product.
    assert sbom["metadata"]["component"]["name"] == pytester.path.name


@pytest.mark.parametrize("scope", ["project", "environment"])
def test_environment_audits_list_the_declared_closure_not_the_toolchain(
    pytester: pytest.Pytester, scope: str
) -> None:
    pytester.makepyprojecttoml(
        textwrap.dedent(
            f"""
            [project]
            name = "Product"
            version = "2.0"
            dependencies = ["requests>=2", "pytest; python_version < '3'"]

            [tool.pytest.ini_options]
            devsecops_scanners = ["pip-audit"]
            devsecops_osv_db = "{ADVISORIES}"
            devsecops_sbom_scope = "{scope}"
            """
        )
    )
    pytester.runpytest("--devsecops", "--devsecops-sbom=sbom.json")
    sbom = _sbom(pytester.path / "sbom.json")
    names = {component["name"].lower() for component in sbom["components"]}
    assert sbom["metadata"]["component"]["purl"] == "pkg:pypi/product@2.0"
    assert {"requests", "urllib3", "idna", "certifi"} <= names
    if scope == "project":
        assert not names & {"pytest", "pluggy", "bandit", "pytest-devsecops", "mypy"}
    else:
        assert {"pytest", "pluggy", "pytest-devsecops"} <= names


@pytest.mark.parametrize(
    ("identifier", "name"),
    [("CVE-2023-1", "NVD"), ("GHSA-aaaa-bbbb-cccc", "GitHub"), ("PYSEC-2020-1", "OSV")],
)
def test_each_alias_names_its_own_database(identifier: str, name: str) -> None:
    assert source_of(identifier)[0] == name
    assert identifier in source_of(identifier)[1]
