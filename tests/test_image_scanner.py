"""The `image` scanner end to end: real trivy on hand-made image tarballs, OSV records offline
and through an OSV API stand-in, failing closed where it cannot check."""

from __future__ import annotations

import json

import pytest
from images import MIXED_DATABASE, alpine_image, debian_image, record, write_records
from standins import osv_batch_api

from pytest_devsecops.scanners.tools import find_tool

pytest.importorskip("univers", reason="the image scanner's extra is not installed")
if not find_tool("trivy").found:
    pytest.skip(
        "trivy is not installed (pip install pytest-devsecops[trivy])", allow_module_level=True
    )

FAKE_KEY = "AKIAZ7QX4LMN2PQR8TUV"  # planted in the example image's /app/settings.py


def _project(pytester: pytest.Pytester, images: str, database: str = "osv") -> pytest.Pytester:
    pytester.makepyprojecttoml(
        f"""
        [tool.pytest.ini_options]
        devsecops_scanners = ["image"]
        devsecops_images = [{images}]
        devsecops_osv_db = "{database}"
        """
    )
    return pytester


@pytest.fixture
def debian_project(pytester: pytest.Pytester) -> pytest.Pytester:
    debian_image(pytester.path / "shop.tar")
    write_records(pytester.path / "osv", MIXED_DATABASE)
    return _project(pytester, '"shop.tar"')


def test_packages_config_and_secrets_of_a_debian_image(debian_project: pytest.Pytester) -> None:
    report = debian_project.path / "report.json"
    result = debian_project.runpytest("--devsecops", "-v", f"--devsecops-json={report}")
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/image::status PASSED*",
            "devsecops/image::DEB12-OPENSSL[[]shop:1.0 openssl@3.0.11-1~deb12u2[]] FAILED*",
            "devsecops/image::DEB12-ZLIB[[]shop:1.0 zlib1g@1:1.2.13.dfsg-1[]] FAILED*",
            "devsecops/image::PYSEC-TEST-1[[]shop:1.0 Jinja2@2.10[]] FAILED*",
            "devsecops/image::DS-0002[[]shop:1.0[]] FAILED*",
            "devsecops/image::secret-aws-access-key-id[[]shop:1.0 /app/settings.py[]] FAILED*",
            "*fixed in: 3.0.13-1~deb12u1*",
            "*installed: zlib1g 1:1.2.13.dfsg-1 (source package zlib)*",
        ]
    )
    output = result.stdout.str()
    # Another release's record, an already fixed one and another distro's are not findings.
    for absent in ("DEB11-OPENSSL", "DEB12-OLD", "ALPINE-OPENSSL"):
        assert absent not in output
    assert FAKE_KEY not in output
    assert FAKE_KEY not in report.read_text()
    assert 'AWS_ACCESS_KEY_ID = "***"' in output  # trivy's masked line, masked again by us
    image_run = next(
        run for run in json.loads(report.read_text())["scanners"] if run["name"] == "image"
    )
    assert any(
        "debian 12.5, 1 layer, 2 OS and 1 Python packages" in note for note in image_run["notes"]
    )


def test_an_image_of_another_distro_matches_its_own_records(pytester: pytest.Pytester) -> None:
    alpine_image(pytester.path / "edge.tar")
    write_records(pytester.path / "osv", MIXED_DATABASE)
    result = _project(pytester, '"edge.tar"').runpytest("--devsecops", "-v")
    result.stdout.fnmatch_lines(
        ["devsecops/image::ALPINE-OPENSSL[[]edge:1.0 libssl3@3.1.3-r0[]] FAILED*"]
    )
    assert "DEB12-OPENSSL" not in result.stdout.str()


def test_a_database_without_the_images_distro_is_never_clean(pytester: pytest.Pytester) -> None:
    debian_image(pytester.path / "shop.tar")
    write_records(pytester.path / "osv", [record("PYSEC-TEST-1", "PyPI", "jinja2", "2.10.1")])
    result = _project(pytester, '"shop.tar"').runpytest("--devsecops", "-v")
    result.stdout.fnmatch_lines(
        [
            "devsecops/image::status FAILED*",
            "*the offline OSV database holds no Debian:12 records*",
        ]
    )


def test_an_unreadable_image_fails_the_status(pytester: pytest.Pytester) -> None:
    (pytester.path / "broken.tar").write_bytes(b"not a tarball at all")
    write_records(pytester.path / "osv", MIXED_DATABASE)
    result = _project(pytester, '"broken.tar"').runpytest("--devsecops", "-v")
    result.stdout.fnmatch_lines(["devsecops/image::status FAILED*", "*trivy could not read*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_missing_trivy_says_how_to_install_it(debian_project: pytest.Pytester) -> None:
    result = debian_project.runpytest("--devsecops", "-o", "devsecops_trivy=no/such/trivy")
    result.stdout.fnmatch_lines(
        ["*the configured trivy */no/such/trivy is not a file*", "*pytest-devsecops[[]trivy[]]*"]
    )
    result.assert_outcomes(failed=1)


def test_an_accepted_risk_survives_a_rebuild(debian_project: pytest.Pytester) -> None:
    debian_project.runpytest("--devsecops", "--devsecops-update-baseline").assert_outcomes(
        passed=1, xfailed=6
    )
    # Rebuilt with another file: a new digest, the same name, packages and advisories.
    debian_image(debian_project.path / "shop.tar", extra={"app/VERSION": "1.0.1\n"})
    result = debian_project.runpytest("--devsecops")
    result.assert_outcomes(passed=1, xfailed=6)
    baseline = (debian_project.path / ".devsecops-baseline.yml").read_text()
    assert FAKE_KEY not in baseline


def test_the_fixture_scans_the_image_a_test_names(debian_project: pytest.Pytester) -> None:
    debian_project.makepyfile(
        test_image="""
        import pytest

        @pytest.mark.container_image("shop.tar")
        def test_shop_image(devsecops_image):
            devsecops_image.check()
        """
    )
    result = debian_project.runpytest("-v")  # no --devsecops: the fixture is opt-in by itself
    result.stdout.fnmatch_lines_random(
        [
            "*SUBFAIL*DEB12-OPENSSL[[]shop:1.0 openssl@3.0.11-1~deb12u2[]]*",
            "*SUBFAIL*DS-0002[[]shop:1.0[]]*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_online_through_osvs_querybatch_api(debian_project: pytest.Pytester) -> None:
    with osv_batch_api.serve(MIXED_DATABASE) as (url, queries):
        result = debian_project.runpytest(
            "--devsecops", "-v", "-o", "devsecops_osv_db=", "-o", f"devsecops_osv_url={url}"
        )
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/image::status PASSED*",
            "devsecops/image::DEB12-OPENSSL[[]shop:1.0 openssl@3.0.11-1~deb12u2[]] FAILED*",
            "devsecops/image::PYSEC-TEST-1[[]shop:1.0 Jinja2@2.10[]] FAILED*",
        ]
    )
    assert "DEB11-OPENSSL" not in result.stdout.str()
    asked = {(q["package"]["ecosystem"], q["package"]["name"]) for q in queries}
    assert ("Debian:12", "openssl") in asked
    assert ("PyPI", "Jinja2") in asked


def test_an_unreachable_advisory_service_is_never_clean(debian_project: pytest.Pytester) -> None:
    result = debian_project.runpytest(
        "--devsecops",
        "-v",
        "-o",
        "devsecops_osv_db=",
        "-o",
        "devsecops_osv_url=http://127.0.0.1:9/v1/query",
    )
    result.stdout.fnmatch_lines(["devsecops/image::status FAILED*", "*did not answer*"])


def test_the_sbom_lists_the_images_packages(debian_project: pytest.Pytester) -> None:
    sbom = debian_project.path / "sbom.json"
    debian_project.runpytest("--devsecops", f"--devsecops-sbom={sbom}")
    purls = {c.get("purl", "") for c in json.loads(sbom.read_text())["components"]}
    assert any(p.startswith("pkg:deb/debian/openssl@3.0.11-1~deb12u2") for p in purls)
    assert "pkg:pypi/jinja2@2.10" in purls


def test_an_oci_layout_folder_is_scanned_too(pytester: pytest.Pytester) -> None:
    from images import builder

    build = builder()
    build.write_oci_layout(pytester.path / "shop-oci", build.example_files())
    write_records(pytester.path / "osv", MIXED_DATABASE)
    result = _project(pytester, '"shop-oci"').runpytest("--devsecops", "-v")
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/image::status PASSED*",
            "devsecops/image::DEB12-OPENSSL[[]shop-oci openssl@3.0.11-1~deb12u2[]] FAILED*",
            "devsecops/image::DS-0002[[]shop-oci[]] FAILED*",
        ]
    )


def test_an_os_without_a_package_database_is_not_clean(pytester: pytest.Pytester) -> None:
    from images import builder

    build = builder()
    files = dict(build.DEBIAN_12)  # /etc/os-release, but no /var/lib/dpkg/status
    build.write_image(pytester.path / "bare.tar", files, tag="bare:1")
    write_records(pytester.path / "osv", MIXED_DATABASE)
    result = _project(pytester, '"bare.tar"').runpytest("--devsecops", "-v")
    result.stdout.fnmatch_lines(
        ["devsecops/image::status FAILED*", "*found no installed package in the debian image*"]
    )
