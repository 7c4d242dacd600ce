"""The offline database: folders and zips, read as strings, cached by content."""

from __future__ import annotations

import datetime
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from pytest_devsecops.scanners.dependencies import osv_db

DATA = Path(__file__).parent / "data" / "osv"


def test_a_folder_of_yaml_and_json_records(tmp_path: Path) -> None:
    database = osv_db.load(DATA)
    assert database.records == 6
    assert database.newest == "2024-09-01"
    assert sorted(a.id for a in database.advisories_for("acme-parser")) == [
        "GHSA-test-0001-aaaa",
        "TEST-2024-0001",
        "TEST-2024-0002",
    ]
    # withdrawn and npm records index nothing
    assert [a.id for a in database.advisories_for("acme-web")] == ["TEST-2024-0003"]
    assert database.problems == ()
    assert database.age_days(datetime.date(2024, 9, 11)) == 10


def test_unquoted_versions_stay_strings(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "id: X-1\nmodified: 2024-01-01T00:00:00Z\naffected:\n- package: {name: p, ecosystem: PyPI}\n"
        "  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 1.10\n"
    )
    (advisory,) = osv_db.load(tmp_path).advisories_for("p")
    assert advisory.affected[0].ranges == ((("introduced", "0"), ("fixed", "1.10")),)


def test_a_zip_is_read_without_extracting(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in DATA.iterdir():
            handle.write(path, arcname=f"../../escape/{path.name}")
    database = osv_db.load(archive)
    assert database.records == 6
    assert not (tmp_path.parent.parent / "escape").exists()


def test_unreadable_records_are_reported(tmp_path: Path) -> None:
    shutil.copytree(DATA, tmp_path / "db")
    (tmp_path / "db" / "broken.yaml").write_text("id: [unclosed\n")
    (tmp_path / "db" / "list.json").write_text("[1, 2]")
    problems = dict(osv_db.load(tmp_path / "db").problems)
    assert set(problems) == {"broken.yaml", "list.json"}


def test_the_parsed_index_is_cached_by_content(tmp_path: Path) -> None:
    shutil.copytree(DATA, tmp_path / "db")
    cache = tmp_path / "cache"
    assert not osv_db.load(tmp_path / "db", cache).cached
    warm = osv_db.load(tmp_path / "db", cache)
    assert warm.cached
    assert warm.by_package == osv_db.load(tmp_path / "db").by_package
    (tmp_path / "db" / "TEST-2024-0004.yaml").unlink()
    changed = osv_db.load(tmp_path / "db", cache)
    assert not changed.cached
    assert changed.records == 5
    assert len(list(cache.iterdir())) == 1


@pytest.mark.parametrize("name", ["missing", "file.txt"])
def test_a_path_that_is_not_a_database_is_an_error(tmp_path: Path, name: str) -> None:
    if name == "file.txt":
        (tmp_path / name).write_text("hello")
    with pytest.raises(osv_db.DatabaseError):
        osv_db.load(tmp_path / name)


def record(name: str, modified: str, **extra: object) -> str:
    fields = {
        "id": name,
        "modified": modified,
        "affected": [
            {
                "package": {"name": "p", "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
            }
        ],
        **extra,
    }
    return json.dumps({key: value for key, value in fields.items() if value is not None})


def test_future_dated_records_do_not_make_the_database_look_new(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text(record("OLD-1", "2024-01-01T00:00:00Z"))
    (tmp_path / "future.json").write_text(record("NEW-1", "2999-01-01T00:00:00Z"))
    database = osv_db.load(tmp_path)
    today = datetime.date(2024, 3, 1)
    assert database.age_days(today) == 60
    assert database.newest_on(today) == "2024-01-01"
    assert database.future(today) == (("2999-01-01", "future.json"),)


def test_an_invalid_date_is_named_and_the_rest_still_counts(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(record("A-1", "2024-01-01T00:00:00Z"))
    (tmp_path / "bad.json").write_text(record("B-1", "yesterday-ish"))
    (tmp_path / "none.json").write_text(record("C-1", None))
    database = osv_db.load(tmp_path)
    problems = dict(database.problems)
    assert set(problems) == {"bad.json", "none.json"}
    assert "not an RFC 3339 date: 'yesterday-ish'" in problems["bad.json"]
    assert database.age_days(datetime.date(2024, 1, 2)) == 1
    assert len(database.advisories_for("p")) == 3  # the advisories themselves are still used


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff\xfe", "codec"),
        (b"[" * 100_000, "nested deeper than"),
        (
            json.dumps({"id": "X", "modified": "2024-01-01", "affected": 5}).encode(),
            "no 'affected'",
        ),
        (json.dumps({"id": "X", "modified": "2024-01-01"}).encode(), "no 'affected' list"),
        (
            json.dumps({"id": "X", "schema_version": "2.0.0", "affected": []}).encode(),
            "unsupported OSV schema_version '2.0.0'",
        ),
        (json.dumps({"id": "X", "affected": [{"package": 1}]}).encode(), "object has no attribute"),
    ],
)
def test_one_malformed_record_is_named_and_skipped(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    shutil.copytree(DATA, tmp_path / "db")
    (tmp_path / "db" / "zz.json").write_bytes(content)
    database = osv_db.load(tmp_path / "db")
    assert problem in dict(database.problems)["zz.json"]
    assert len(database.advisories_for("acme-parser")) == 3


def test_the_age_survives_the_cache(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "a.json").write_text(record("A-1", "2024-01-01T00:00:00Z"))
    (tmp_path / "db" / "f.json").write_text(record("F-1", "2999-01-01T00:00:00Z"))
    osv_db.load(tmp_path / "db", tmp_path / "cache")
    warm = osv_db.load(tmp_path / "db", tmp_path / "cache")
    assert warm.cached
    assert warm.age_days(datetime.date(2024, 1, 11)) == 10


def test_the_canary_finds_its_probe_advisory() -> None:
    from pytest_devsecops.core.severity import Severity
    from pytest_devsecops.scanners.dependencies import canary

    assert canary.check(Severity.HIGH) == ""


def test_a_broken_matcher_fails_the_canary(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_devsecops.core.severity import Severity
    from pytest_devsecops.scanners.dependencies import canary, osv

    monkeypatch.setattr(osv, "affects", lambda *args: False)
    assert "missed" in canary.check(Severity.HIGH)
    monkeypatch.setattr(osv, "affects", lambda *args: True)
    assert "wrongly matched" in canary.check(Severity.HIGH)
