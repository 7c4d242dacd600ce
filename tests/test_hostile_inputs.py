"""Nothing outside the project is read, special files are refused unopened, OSV records are capped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from pytest_devsecops.core import paths
from pytest_devsecops.scanners.dependencies import osv_db, osv_guard, sources

DATA = Path(__file__).parent / "data" / "osv"
SECRET = "outside-the-project-Summer2024"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the project, holding something the scan must never read."""
    secret = tmp_path / "outside" / "secrets.txt"
    secret.parent.mkdir()
    secret.write_text(f"requests=={SECRET}\n")
    return secret


def gaps(collected: sources.Collected) -> str:
    return "\n".join(f"{gap.target}: {gap.reason}" for gap in collected.gaps)


def test_an_include_outside_the_project_is_refused_and_named(tmp_path: Path, outside: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(f"-r {outside}\n-r ../outside/secrets.txt\n")
    collected = sources.collect([project / "requirements.txt"], project)
    assert collected.dependencies == ()
    text = gaps(collected)
    assert "requirements.txt:1: included file" in text
    assert "outside" in text
    assert "requirements.txt:2" in text
    assert SECRET not in text


def test_an_include_through_a_symlink_is_refused(tmp_path: Path, outside: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "more.txt").symlink_to(outside)
    (project / "requirements.txt").write_text("-r more.txt\n")
    collected = sources.collect([project / "requirements.txt"], project)
    assert collected.dependencies == ()
    assert "resolves to" in gaps(collected)


def test_proc_and_fifos_are_refused_without_opening(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    (tmp_path / "env.txt").symlink_to("/proc/self/environ")
    (tmp_path / "requirements.txt").write_text("-r fifo.txt\n-r env.txt\n")
    finished = threading.Event()

    def scan() -> None:
        sources.collect([tmp_path / "requirements.txt", fifo], tmp_path)
        finished.set()

    threading.Thread(target=scan, daemon=True).start()
    assert finished.wait(5), "reading a FIFO blocked the scan"
    text = gaps(sources.collect([tmp_path / "requirements.txt", fifo], tmp_path))
    assert "a FIFO" in text
    assert "pseudo-file" in text or "outside" in text
    with pytest.raises(paths.PathRefused, match="pseudo-file"):
        paths.checked_file(Path("/proc/self/environ"))


def test_an_unparseable_line_is_not_echoed_in_full(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "not a requirement ((( password=Summer2024! " + "x" * 300 + "\n"
    )
    text = gaps(sources.collect([tmp_path / "requirements.txt"], tmp_path))
    assert "Summer2024!" not in text
    assert "x" * 100 not in text


def test_osv_records_linked_outside_or_special_are_refused_by_name(
    tmp_path: Path, outside: Path
) -> None:
    db = tmp_path / "db"
    shutil.copytree(DATA, db)
    (db / "LINK-1.json").symlink_to(outside)
    (db / "PROC-1.json").symlink_to("/proc/self/environ")
    os.mkfifo(db / "FIFO-1.yaml")
    (db / "linked").symlink_to(outside.parent, target_is_directory=True)
    database = osv_db.load(db)
    problems = dict(database.problems)
    assert set(problems) == {"LINK-1.json", "PROC-1.json", "FIFO-1.yaml"}
    assert "a FIFO" in problems["FIFO-1.yaml"]
    assert SECRET not in str(database)
    assert database.records == 9


def test_osv_alias_bombs_deep_nesting_and_huge_records_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "db"
    shutil.copytree(DATA, db)
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    bomb += [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)
    ]
    (db / "BOMB-1.yaml").write_text("\n".join(bomb) + "\nid: BOMB-1\n")
    (db / "DEEP-1.yaml").write_text("id: " + "[" * 100_000 + "]" * 100_000 + "\n")
    (db / "DEEP-2.json").write_text("[" * 200_000 + "]" * 200_000)
    with (db / "HUGE-1.json").open("wb") as handle:
        handle.truncate(osv_guard.MAX_RECORD_BYTES + 1)
    problems = dict(osv_db.load(db).problems)
    assert "aliases" in problems["BOMB-1.yaml"]
    assert "DEEP-1.yaml" in problems  # libyaml's own flow-level limit, or ours
    assert "nested deeper" in problems["DEEP-2.json"]
    assert "cap" in problems["HUGE-1.json"]


def test_osv_folder_is_capped_in_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(osv_guard, "MAX_RECORDS", 3)
    problems = dict(osv_db.load(DATA).problems)
    assert len(problems) == 3
    assert all("more than 3 records" in why for why in problems.values())


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS semantics are Linux's")
def test_memory_stays_bounded_on_a_huge_record(tmp_path: Path) -> None:
    db = tmp_path / "db"
    shutil.copytree(DATA, db)
    with (db / "HUGE-2.yaml").open("wb") as handle:
        handle.truncate(3 * 1024**3)  # sparse: 3 GiB to read, none on disk
    script = textwrap.dedent(
        f"""
        import resource, sys
        from pathlib import Path
        from pytest_devsecops.scanners.dependencies import osv_db
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
        database = osv_db.load(Path({str(db)!r}))
        print(sorted(dict(database.problems)))
        """
    )
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "HUGE-2.yaml" in run.stdout
    assert time.monotonic() - started < 60


def test_a_fifo_in_the_project_does_not_block_the_bandit_file_walk(tmp_path: Path) -> None:
    from pytest_devsecops.scanners import bandit_files

    os.mkfifo(tmp_path / "run")  # extensionless: looked at for a python shebang
    (tmp_path / "tool").write_text("#!/usr/bin/env python3\nprint(1)\n")
    found: list[Path] = []
    walker = threading.Thread(
        target=lambda: found.extend(bandit_files.python_scripts((tmp_path,), [])), daemon=True
    )
    walker.start()
    walker.join(5)
    assert not walker.is_alive(), "opening a FIFO blocked the file walk"
    assert [path.name for path in found] == ["tool"]


def test_a_dast_rules_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    from pytest_devsecops.dast import rules_file

    os.mkfifo(tmp_path / "rules.tsv")
    with pytest.raises(rules_file.RulesFileError, match="FIFO"):
        rules_file.load(tmp_path / "rules.tsv")
