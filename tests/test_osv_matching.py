"""OSV evaluation rules: ranges, explicit versions, withdrawn records, aliases, severity."""

from __future__ import annotations

from typing import Any

import pytest
from packaging.version import Version

from pytest_devsecops.core.severity import Severity
from pytest_devsecops.scanners.dependencies import osv


def record(events: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "id": extra.pop("id", "PYSEC-0000-1"),
        "affected": [
            {
                "package": {"name": extra.pop("name", "Demo_Pkg"), "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                "versions": extra.pop("versions", []),
            }
        ],
        **extra,
    }


def hit(data: dict[str, Any], version: str) -> bool:
    advisory = osv.parse_record(data)
    assert advisory is not None
    return osv.affects(advisory, "demo-pkg", Version(version))


@pytest.mark.parametrize(
    ("events", "version", "expected"),
    [
        ([{"introduced": "0"}, {"fixed": "2.10.1"}], "2.10", True),
        ([{"introduced": "0"}, {"fixed": "2.10.1"}], "2.10.1", False),
        ([{"introduced": "0"}, {"fixed": "2.10.1"}], "2.9.6", True),
        ([{"introduced": "1.5"}, {"fixed": "2.0"}], "1.4", False),
        ([{"introduced": "3.0.0"}, {"last_affected": "3.0.1"}], "3.0.1", True),
        ([{"introduced": "3.0.0"}, {"last_affected": "3.0.1"}], "3.0.2", False),
        ([{"introduced": "0"}, {"limit": "5.0"}], "4.9", True),
        ([{"introduced": "0"}, {"limit": "5.0"}], "5.0", False),
        # two affected branches in one range
        (
            [{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.3"}],
            "2.1",
            True,
        ),
        (
            [{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.3"}],
            "1.5",
            False,
        ),
        # events listed out of order are evaluated in version order
        ([{"fixed": "2.0"}, {"introduced": "1.0"}], "1.5", True),
        # an event PEP 440 cannot read is ignored, not fatal
        ([{"introduced": "0"}, {"fixed": "not-a-version"}, {"fixed": "1.1"}], "1.0", True),
    ],
)
def test_ecosystem_ranges(events: list[dict[str, str]], version: str, expected: bool) -> None:
    assert hit(record(events), version) is expected


def test_an_explicit_versions_list_matches_normalised_versions() -> None:
    assert hit(record([], versions=["1.0"]), "1.0.0")
    assert hit(record([], versions=["2016.05.06"]), "2016.5.6")
    assert hit(record([], versions=["1.0RC1"]), "1.0rc1")
    assert not hit(record([], versions=["1.0"]), "1.0.1")


def test_withdrawn_and_other_ecosystems_produce_no_advisory() -> None:
    assert osv.parse_record(record([{"introduced": "0"}], withdrawn="2024-01-01T00:00:00Z")) is None
    npm = record([{"introduced": "0"}])
    npm["affected"][0]["package"]["ecosystem"] = "npm"
    assert osv.parse_record(npm) is None


def test_a_record_without_id_is_an_error() -> None:
    with pytest.raises(osv.RecordError):
        osv.parse_record({"affected": []})


def test_aliases_merge_into_one_vulnerability() -> None:
    a = osv.parse_record(record([], id="PYSEC-1", aliases=["CVE-1"]))
    b = osv.parse_record(record([], id="GHSA-x", aliases=["CVE-1", "PYSEC-1"]))
    c = osv.parse_record(record([], id="PYSEC-2"))
    assert a is not None
    assert b is not None
    assert c is not None
    groups = osv.merge([a, c, b])
    assert sorted(sorted(m.id for m in group) for group in groups) == [
        ["GHSA-x", "PYSEC-1"],
        ["PYSEC-2"],
    ]
    assert osv.primary_id({"CVE-1", "GHSA-x", "PYSEC-1"}) == "PYSEC-1"


def test_two_ids_of_one_database_are_never_merged() -> None:
    """PYSEC-2021-335/-370 share a GHSA alias but are two CVEs: both must be reported."""
    a = osv.parse_record(record([], id="PYSEC-2021-335", aliases=["CVE-2021-32807", "GHSA-q"]))
    b = osv.parse_record(record([], id="PYSEC-2021-370", aliases=["CVE-2021-32811", "GHSA-q"]))
    g = osv.parse_record(record([], id="GHSA-q", aliases=["CVE-2021-32807"]))
    assert a is not None
    assert b is not None
    assert g is not None
    groups = sorted(sorted(m.id for m in group) for group in osv.merge([b, g, a]))
    assert groups == [["GHSA-q", "PYSEC-2021-335"], ["PYSEC-2021-370"]]
    assert osv.primary_id({"CVE-1", "GHSA-x"}) == "GHSA-x"


@pytest.mark.parametrize(
    ("extra", "severity", "source"),
    [
        (
            {
                "severity": [
                    {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
                ]
            },
            Severity.CRITICAL,
            "base score 9.8",
        ),
        (
            {
                "severity": [
                    {
                        "type": "CVSS_V4",
                        "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
                    }
                ]
            },
            Severity.MEDIUM,
            "base score 6.9",
        ),
        ({"database_specific": {"severity": "MODERATE"}}, Severity.MEDIUM, "database_specific"),
        (
            {"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:broken"}]},
            Severity.HIGH,
            "default",
        ),
        ({}, Severity.HIGH, "no severity; default high used"),
    ],
)
def test_severity_from_cvss_database_or_default(
    extra: dict[str, Any], severity: Severity, source: str
) -> None:
    advisory = osv.parse_record(record([], **extra))
    assert advisory is not None
    rating = osv.rate([advisory], Severity.HIGH)
    assert rating.severity is severity
    assert source in rating.source
