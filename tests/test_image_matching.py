"""Distro version ordering and OSV range matching for image packages (no trivy needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from images import MIXED_DATABASE, record, write_records

from pytest_devsecops.scanners.image import advisories
from pytest_devsecops.scanners.image.ecosystems import UnsupportedOs, os_ecosystem
from pytest_devsecops.scanners.image.inventory import parse_report

pytest.importorskip("univers", reason="the image scanner's extra is not installed")

DEBIAN_12 = os_ecosystem("debian", "12.5")


def test_os_releases_map_to_osv_ecosystems() -> None:
    assert DEBIAN_12.name == "Debian:12"
    assert os_ecosystem("alpine", "3.18.4").name == "Alpine:v3.18"
    assert os_ecosystem("ubuntu", "22.04").matches("Ubuntu:22.04:LTS")
    assert not DEBIAN_12.matches("Debian:11")
    with pytest.raises(UnsupportedOs, match="plan9"):
        os_ecosystem("plan9", "4")


def _index(tmp_path: Path) -> advisories.OfflineAdvisories:
    folder = write_records(tmp_path / "osv", MIXED_DATABASE)
    return advisories.load_offline([folder], [DEBIAN_12])


def test_dpkg_order_with_tilde_and_epoch(tmp_path: Path) -> None:
    index = _index(tmp_path).indexes["Debian:12"]
    openssl = {a.id: a for a in index.by_package["openssl"]}
    hit, fixes = advisories.affected_and_fixes(
        openssl["DEB12-OPENSSL"], "openssl", "3.0.11-1~deb12u2", DEBIAN_12
    )
    assert hit
    assert fixes == ["3.0.13-1~deb12u1"]
    # ~deb12u1 sorts before ~deb12u2: that advisory was fixed before the installed version.
    assert not advisories.affected_and_fixes(
        openssl["DEB12-OLD"], "openssl", "3.0.11-1~deb12u2", DEBIAN_12
    )[0]
    zlib = index.by_package["zlib"][0]
    assert advisories.affected_and_fixes(zlib, "zlib", "1:1.2.13.dfsg-1", DEBIAN_12)[0]
    # Without the epoch, 1.2.13 would sort before 1:1.2.13 and look affected forever.
    assert not advisories.affected_and_fixes(zlib, "zlib", "1:1.2.13.dfsg-1+deb12u1", DEBIAN_12)[0]


def test_a_record_of_another_release_is_never_read_for_this_one(tmp_path: Path) -> None:
    index = _index(tmp_path).indexes["Debian:12"]
    assert "DEB11-OPENSSL" not in {a.id for a in index.by_package["openssl"]}
    assert index.records == 3


def test_alpine_versions_are_ordered_the_apk_way(tmp_path: Path) -> None:
    alpine = os_ecosystem("alpine", "3.18.4")
    folder = write_records(
        tmp_path / "osv", [record("A-1", "Alpine:v3.18", "openssl", "3.1.4-r10")]
    )
    advisory = advisories.load_offline([folder], [alpine]).indexes["Alpine:v3.18"]
    item = advisory.by_package["openssl"][0]
    # -r9 < -r10 numerically (a string comparison would say otherwise).
    assert advisories.affected_and_fixes(item, "openssl", "3.1.4-r9", alpine)[0]
    assert not advisories.affected_and_fixes(item, "openssl", "3.1.4-r10", alpine)[0]


def test_only_masked_fields_of_trivys_report_are_kept() -> None:
    report = {
        "SchemaVersion": 2,
        "Metadata": {"OS": {"Family": "debian", "Name": "12.5"}, "RepoTags": ["x:1"]},
        "Results": [
            {
                "Target": "app/settings.py",
                "Class": "secret",
                "Secrets": [
                    {
                        "RuleID": "aws-access-key-id",
                        "Title": "AWS Access Key ID",
                        "Severity": "CRITICAL",
                        "StartLine": 1,
                        "Match": 'KEY = "********"',
                        "Code": {"Lines": [{"Content": 'OTHER = "hunter2-plain-neighbour"'}]},
                    }
                ],
            }
        ],
    }
    inventory = parse_report(report, "x:1")
    assert "hunter2" not in repr(inventory)
    assert inventory.secrets[0].path == "/app/settings.py"


def test_a_report_of_another_schema_is_refused() -> None:
    from pytest_devsecops.scanners.image.inventory import InventoryError

    with pytest.raises(InventoryError, match="schema"):
        parse_report({"SchemaVersion": 1}, "x")


def test_a_version_its_ecosystem_cannot_order_is_not_called_unaffected(tmp_path: Path) -> None:
    index = _index(tmp_path).indexes["Debian:12"]
    with pytest.raises(ValueError, match="dpkg"):
        advisories.affected_and_fixes(
            index.by_package["openssl"][0], "openssl", "not a version!", DEBIAN_12
        )
