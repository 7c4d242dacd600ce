"""The offline database: folders and zips, read as strings, cached by content."""

from __future__ import annotations

import datetime
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
