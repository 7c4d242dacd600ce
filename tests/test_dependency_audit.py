"""The pip-audit scanner end to end: offline, online through pip-audit, and failing closed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from standins import osv_api

DATA = Path(__file__).parent / "data" / "osv"
SHARED_DB = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "pypa-advisory-database" / "vulns"
)
REQUIREMENTS = "acme-parser==1.9.0\nacme-web==2.4\nsafe-lib==1.0\n"


@pytest.fixture
def audit_project(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copytree(DATA, pytester.path / "osv")
    (pytester.path / "requirements.txt").write_text(REQUIREMENTS)
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        devsecops_scanners = ["pip-audit"]
        devsecops_requirements = ["requirements.txt"]
        devsecops_osv_db = "osv"
        # tests/data/osv is a frozen fixture (newest record 2024-09-01), not a live feed.
        devsecops_osv_max_age_days = "off"
        """
    )
    return pytester


def test_one_item_per_package_and_vulnerability(audit_project: pytest.Pytester) -> None:
    result = audit_project.runpytest("--devsecops", "-v")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/pip-audit::status PASSED*",
            "devsecops/pip-audit::GHSA-test-0001-aaaa[[]acme-parser==1.9.0[]] FAILED*",
            "devsecops/pip-audit::TEST-2024-0002[[]acme-parser==1.9.0[]] FAILED*",
            "devsecops/pip-audit::TEST-2024-0003[[]acme-web==2.4[]] FAILED*",
            "pip-audit *: 3 dependencies scanned*, complete; 3 findings: 3 failed"
            " [[]failing: 1 critical, 2 medium[]]",
        ]
    )
    assert "TEST-2024-0004" not in result.stdout.str()  # withdrawn
    assert "TEST-2024-0005" not in result.stdout.str()  # npm


def test_the_failure_says_what_to_upgrade_to(audit_project: pytest.Pytester) -> None:
    result = audit_project.runpytest("--devsecops", "-k", "GHSA")
    result.stdout.fnmatch_lines(
        [
            "GHSA-test-0001-aaaa acme-parser evaluates expressions from untrusted input (GitHub record)",
            "  severity: critical   CWE-94",
            "  at requirements.txt:1",
            "  installed: acme-parser 1.9.0",
            "  purl: pkg:pypi/acme-parser@1.9.0",
            "  aliases: CVE-2099-0001, TEST-2024-0001",
            "  fixed in: 1.10.0",
            "  smallest safe upgrade: acme-parser 1.10.2 (clears all 2 known advisories on acme-parser 1.9.0)",
            "  severity from: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H (base score 9.8)",
            "*",
            "  what to do: Upgrade acme-parser to 1.10.2 or later.",
            "  more: https://osv.dev/vulnerability/GHSA-test-0001-aaaa",
        ]
    )


def test_an_accepted_risk_survives_an_upgrade_that_is_still_affected(
    audit_project: pytest.Pytester,
) -> None:
    audit_project.runpytest("--devsecops", "--devsecops-update-baseline").assert_outcomes(
        passed=1, xfailed=3
    )
    requirements = audit_project.path / "requirements.txt"
    requirements.write_text(REQUIREMENTS.replace("acme-parser==1.9.0", "acme-parser==1.2.0"))
    audit_project.runpytest("--devsecops").assert_outcomes(passed=1, xfailed=3)
    requirements.write_text(REQUIREMENTS.replace("acme-parser==1.9.0", "acme-parser==1.10.2"))
    result = audit_project.runpytest("--devsecops", "-rf")
    result.assert_outcomes(passed=1, failed=2, xfailed=1)
    result.stdout.fnmatch_lines_random(
        [
            "FAILED devsecops/pip-audit::GHSA-test-0001-aaaa[[]requirements.txt stale *[]]*",
            "FAILED devsecops/pip-audit::TEST-2024-0002[[]requirements.txt stale *[]]*",
        ]
    )


def test_a_new_advisory_on_an_accepted_package_is_new(audit_project: pytest.Pytester) -> None:
    audit_project.runpytest("--devsecops", "--devsecops-update-baseline")
    (audit_project.path / "osv" / "TEST-2024-0002.yaml").unlink()
    audit_project.runpytest("--devsecops", "--devsecops-update-baseline")
    shutil.copy(DATA / "TEST-2024-0002.yaml", audit_project.path / "osv")
    result = audit_project.runpytest("--devsecops")
    result.assert_outcomes(passed=1, failed=1, xfailed=2)


def test_unpinned_and_declared_packages(audit_project: pytest.Pytester) -> None:
    (audit_project.path / "requirements.txt").write_text(REQUIREMENTS + "flask>=2\n-e ./local\n")
    result = audit_project.runpytest("--devsecops", "-k", "status")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "2 dependencies could not be scanned (3 were):",
            "  flask (requirements.txt:4): flask>=2 is not pinned; pin it with ==",
            "  ./local (requirements.txt:5): editable requirement has no version to audit",
            "next step: pin every dependency with ==, or declare packages that are not on PyPI*",
        ]
    )
    declared = audit_project.runpytest(
        "--devsecops", "-k", "status", "-o", "devsecops_audit_skip=flask ./local"
    )
    declared.assert_outcomes(passed=1)
    declared.stdout.fnmatch_lines(["*3 dependencies scanned, 2 skipped on purpose*, complete*"])


def test_a_missing_database_is_an_error_not_a_pass(audit_project: pytest.Pytester) -> None:
    result = audit_project.runpytest("--devsecops", "-o", "devsecops_osv_db=nowhere")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*the offline OSV database cannot be used: *nowhere does not exist"]
    )


def test_a_stale_database_is_an_error(audit_project: pytest.Pytester) -> None:
    result = audit_project.runpytest("--devsecops", "-o", "devsecops_osv_max_age_days=30")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        ["*the offline OSV database is * days old (newest record 2024-09-01)*"]
    )


def test_online_through_pip_audits_osv_service(audit_project: pytest.Pytester) -> None:
    with osv_api.serve(DATA) as (url, queries):
        result = audit_project.runpytest(
            "--devsecops",
            "-v",
            "-o",
            "devsecops_osv_db=",
            "-o",
            "devsecops_audit_service=osv",
            "-o",
            f"devsecops_osv_url={url}",
        )
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/pip-audit::GHSA-test-0001-aaaa[[]acme-parser==1.9.0[]] FAILED*",
            "devsecops/pip-audit::TEST-2024-0003[[]acme-web==2.4[]] FAILED*",
        ]
    )
    assert sorted(q["package"]["name"] for q in queries) == ["acme-parser", "acme-web", "safe-lib"]


def test_an_unreachable_service_is_never_a_clean_result(
    audit_project: pytest.Pytester, closed_url: str
) -> None:
    result = audit_project.runpytest(
        "--devsecops",
        "-o",
        "devsecops_osv_db=",
        "-o",
        "devsecops_audit_service=osv",
        "-o",
        f"devsecops_osv_url={closed_url}/v1/query",
        "-o",
        "devsecops_audit_timeout=3",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "pip-audit could not complete its scan: no dependency could be audited: the osv advisory"
            " service did not answer",
            "3 dependencies could not be scanned (0 were):",
            "  acme-parser==1.9.0: osv advisory service failed: *",
            "  acme-web==2.4: not audited: the osv advisory service is unreachable",
            "next step: check the network, or audit offline with devsecops_osv_db*",
        ]
    )


def test_sbom_and_sarif_validate(audit_project: pytest.Pytester) -> None:
    validation = pytest.importorskip("cyclonedx.validation.json")
    schema_module = pytest.importorskip("cyclonedx.schema")
    audit_project.runpytest(
        "--devsecops", "--devsecops-sbom", "sbom.json", "--devsecops-sarif", "out.sarif"
    )
    text = (audit_project.path / "sbom.json").read_text()
    validator = validation.JsonStrictValidator(schema_module.SchemaVersion.V1_6)
    assert validator.validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    assert {c["purl"] for c in bom["components"]} == {
        "pkg:pypi/acme-parser@1.9.0",
        "pkg:pypi/acme-web@2.4",
        "pkg:pypi/safe-lib@1.0",
    }
    assert sorted(v["id"] for v in bom["vulnerabilities"]) == [
        "GHSA-test-0001-aaaa",
        "TEST-2024-0002",
        "TEST-2024-0003",
    ]
    critical = next(v for v in bom["vulnerabilities"] if v["id"].startswith("GHSA"))
    assert critical["ratings"][0]["severity"] == "critical"
    # CycloneDX keeps the version in `method` and the vector without its "CVSS:3.1/" prefix.
    assert critical["ratings"][0]["method"] == "CVSSv31"
    assert critical["ratings"][0]["vector"] == "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    sarif = json.loads((audit_project.path / "out.sarif").read_text())
    from test_reports import sarif_schema

    schema = sarif_schema()
    jsonschema = pytest.importorskip("jsonschema")
    assert list(jsonschema.validators.validator_for(schema)(schema).iter_errors(sarif)) == []
    result = sarif["runs"][0]["results"][0]
    assert (
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "requirements.txt"
    )


@pytest.mark.skipif(not SHARED_DB.is_dir(), reason="the shared PyPA advisory snapshot is not here")
def test_acceptance_against_the_pypa_snapshot(pytester: pytest.Pytester) -> None:
    """The issue's check: four pins against the whole PyPA database, with pip-audit as a reference."""
    pins = "jinja2==2.10\nrequests==2.19.0\npyyaml==5.1\nurllib3==1.26.9\n"
    (pytester.path / "requirements.txt").write_text(pins)
    pytester.makepyprojecttoml(
        f"""
        [tool.pytest.ini_options]
        devsecops_scanners = ["pip-audit"]
        devsecops_requirements = ["requirements.txt"]
        devsecops_osv_db = "{SHARED_DB}"
        devsecops_osv_max_age_days = "off"  # a frozen snapshot
        """
    )
    ours = pytester.runpytest("--devsecops", "--devsecops-json", "ours.json")
    expected = {
        ("jinja2", "PYSEC-2019-217"),
        ("jinja2", "PYSEC-2021-66"),
        ("requests", "PYSEC-2018-28"),
        ("requests", "PYSEC-2023-74"),
        ("pyyaml", "PYSEC-2020-176"),
        ("pyyaml", "PYSEC-2020-96"),
        ("pyyaml", "PYSEC-2021-142"),
        ("urllib3", "PYSEC-2023-192"),
        ("urllib3", "PYSEC-2023-212"),
    }
    ours.assert_outcomes(passed=1, failed=len(expected))
    report = json.loads((pytester.path / "ours.json").read_text())
    found = {
        (
            f["location"]["path"]
            and f["title"]
            and f["details"]["purl"].split("/")[1].split("@")[0],
            f["rule"],
        )
        for f in report["findings"]
    }
    assert found == expected
    ours.stdout.fnmatch_lines_random(["  fixed in: 2.10.1*", "  fixed in: 2.20.0*"])
    # The same pins through pip-audit's own OSV service against the version-list stand-in.
    with osv_api.serve(SHARED_DB) as (url, _):
        reference = pytester.runpytest(
            "--devsecops",
            "-o",
            "devsecops_osv_db=",
            "-o",
            "devsecops_audit_service=osv",
            "-o",
            f"devsecops_osv_url={url}",
            "--devsecops-json",
            "reference.json",
        )
    reference_report = json.loads((pytester.path / "reference.json").read_text())
    assert {f["rule"] for f in reference_report["findings"]} == {rule for _, rule in expected}
    reference.assert_outcomes(passed=1, failed=len(expected))


@pytest.mark.parametrize("content", ["empty", "npm-only"])
def test_a_database_with_no_pypi_records_is_not_a_clean_audit(
    audit_project: pytest.Pytester, content: str
) -> None:
    folder = audit_project.path / "wrongdb"
    folder.mkdir()
    if content == "npm-only":
        shutil.copy(DATA / "TEST-2024-0005.yaml", folder)
    result = audit_project.runpytest("--devsecops", "-o", "devsecops_osv_db=wrongdb")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*holds no PyPI advisories*"])


def test_an_old_database_fails_by_default(audit_project: pytest.Pytester) -> None:
    """No setting at all: the documented default of 30 days applies."""
    result = audit_project.runpytest("--devsecops", "-o", "devsecops_osv_max_age_days=")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        [
            "*the offline OSV database is * days old (newest record 2024-09-01), older than "
            "devsecops_osv_max_age_days=30*"
        ]
    )


def test_a_future_dated_record_cannot_make_an_old_database_pass(
    audit_project: pytest.Pytester,
) -> None:
    (audit_project.path / "osv" / "FUTURE-1.json").write_text(
        json.dumps({"id": "FUTURE-1", "modified": "2999-01-01T00:00:00Z", "affected": []})
    )
    (audit_project.path / "osv" / "BADDATE-1.json").write_text(
        json.dumps({"id": "BADDATE-1", "modified": "soon", "affected": []})
    )
    result = audit_project.runpytest("--devsecops", "-o", "devsecops_osv_max_age_days=30")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines_random(
        [
            "*1 record(s) dated in the future, ignored for the database's age: "
            "FUTURE-1.json (2999-01-01)*",
            "*newest record 2024-09-01*",
            "*advisory BADDATE-1.json: record problem: 'modified' is not an RFC 3339 date*",
        ]
    )


def test_a_record_of_an_unknown_schema_is_a_gap_not_a_clean_result(
    audit_project: pytest.Pytester,
) -> None:
    (audit_project.path / "osv" / "NEXT-1.json").write_text(
        json.dumps({"id": "NEXT-1", "schema_version": "2.0.0", "modified": "2024-01-01"})
    )
    result = audit_project.runpytest("--devsecops", "-k", "status")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*advisory NEXT-1.json: record problem: unsupported OSV schema*"])


@pytest.mark.parametrize(
    ("record", "logged"),
    [
        (
            {
                "id": "NEXT-9",
                "schema_version": "2.0.0",
                "modified": "2024-01-01T00:00:00Z",
                "affected": [
                    {"package": {"name": "safe-lib", "ecosystem": "PyPI"}, "versions": ["1.0"]}
                ],
            },
            "Unsupported OSV schema version: 2.0.0",
        ),
        (
            {"id": "BROKEN-9", "modified": "2024-01-01T00:00:00Z"},
            "OSV vuln entry 'BROKEN-9' is missing 'affected' list",
        ),
    ],
)
def test_an_answer_pip_audit_drops_is_a_gap_for_that_dependency(
    audit_project: pytest.Pytester, tmp_path: Path, record: dict[str, object], logged: str
) -> None:
    database = tmp_path / "db"
    shutil.copytree(DATA, database)
    (database / "safe-lib").mkdir()
    (database / "safe-lib" / "record.json").write_text(json.dumps(record))
    with osv_api.serve(database) as (url, _):
        result = audit_project.runpytest(
            "--devsecops",
            "-o",
            "devsecops_osv_db=",
            "-o",
            "devsecops_audit_service=osv",
            "-o",
            f"devsecops_osv_url={url}",
        )
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        [
            "1 dependency could not be scanned (2 were):",
            f"  safe-lib==1.0: osv advisory service failed: the advisory service answered with a "
            f"record pip-audit cannot read: {logged}",
        ]
    )


def test_several_databases_are_read_as_one(audit_project: pytest.Pytester) -> None:
    # One database per ecosystem (as OSV exports them): the PyPI records may be in any of them.
    second = audit_project.path / "osv-more"
    second.mkdir()
    for name in ("TEST-2024-0003.yaml", "GHSA-test-0001-aaaa.json"):
        (audit_project.path / "osv" / name).rename(second / name)
    result = audit_project.runpytest("--devsecops", "-v", "-o", "devsecops_osv_db=osv osv-more")
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/pip-audit::GHSA-test-0001-aaaa[[]acme-parser==1.9.0[]] FAILED*",
            "devsecops/pip-audit::TEST-2024-0002[[]acme-parser==1.9.0[]] FAILED*",
            "devsecops/pip-audit::TEST-2024-0003[[]acme-web==2.4[]] FAILED*",
        ]
    )
