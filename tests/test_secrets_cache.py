"""The secrets scanner's result cache: unchanged files cost no engine, and it holds no secret."""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from pytest_devsecops.scanners.tools import find_tool

TRIVY = find_tool("trivy").path
GIT = str(find_tool("git").path)
pytestmark = pytest.mark.skipif(TRIVY is None, reason="trivy is not installed")

GITHUB = "ghp_R8mZ2qLw5TxK9vN3pB7cY1dF6hJ4sA0eGu2K"
ROTATED = "ghp_Z1xY2wV3uT4sR5qP6oN7mL8kJ9iH0gF1eD2c"
BARE = "ghp_Q4wE5rT6yU7iO8pA9sD0fG1hJ2kL3zX4cV5b"  # a file that is nothing but this token
PASSWORD = "Harbor-Lantern-2718"
SECRETS = (GITHUB, ROTATED, BARE, PASSWORD)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """Four files, three secrets, and trivy behind a shim that logs what each run scans."""
    log = pytester.path / "trivy-calls.log"
    shim = pytester.path / "trivy-shim"
    # The shim logs the folder trivy is pointed at (its last argument) and runs the real one.
    # The shim logs the folder trivy is pointed at (its last argument) and the files in it,
    # then runs the real trivy.
    shim.write_text(
        "#!/bin/sh\n"
        f'for last in "$@"; do :; done\nprintf "%s\\n" "$last" >> {shlex.quote(str(log))}\n'
        f'find "$last" -type f >> {shlex.quote(str(log))}.files\n'
        f'exec {shlex.quote(str(TRIVY))} "$@"\n'
    )
    shim.chmod(0o755)
    pytester.makepyprojecttoml(
        f"""
        [tool.pytest.ini_options]
        devsecops_scanners = ["secrets"]
        devsecops_paths = ["app"]
        devsecops_trivy = "{shim}"
        """
    )
    app = pytester.mkdir("app")
    (app / "config.py").write_text(f'RELEASES = "{GITHUB}"\n')
    (app / "db.ini").write_text(f"[db]\npassword = {PASSWORD}\n")
    (app / "token.txt").write_bytes(BARE.encode())
    (app / "clean.py").write_text("import os\nTOKEN = os.environ['TOKEN']\n")
    return pytester


def _run(project: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, list[str]]:
    """One run, and the folders trivy was started on during it, the canary's left out."""
    log = project.path / "trivy-calls.log"
    log.write_text("")
    (project.path / "trivy-calls.log.files").write_text("")
    result = project.runpytest("--devsecops", "-v", *args)
    folders = [line for line in log.read_text().splitlines() if "canary" not in line]
    canaries = [line for line in log.read_text().splitlines() if "canary" in line]
    assert canaries, "the canary must run on every scan, cache or not"
    return result, folders


def _items(result: pytest.RunResult) -> list[str]:
    return sorted(line.split(" ")[0] for line in result.outlines if line.startswith("devsecops/"))


def test_an_unchanged_rerun_reports_the_same_and_starts_no_engine(
    project: pytest.Pytester,
) -> None:
    cold, cold_trivy = _run(project)
    cold.stdout.fnmatch_lines(["  note: 0 of 4 files from the result cache"])
    assert cold_trivy == [str(project.path)]  # the whole tree, beside the listing
    warm, warm_trivy = _run(project)
    warm.stdout.fnmatch_lines(["  note: 4 of 4 files from the result cache"])
    assert warm_trivy == []
    assert _items(warm) == _items(cold)
    assert "devsecops/secrets::github-pat[app/token.txt:1]" in _items(warm)
    assert warm.parseoutcomes() == cold.parseoutcomes() == {"passed": 1, "failed": 3}
    # The status line names trivy's version on a warm run too (from the canary's run).
    warm.stdout.fnmatch_lines(["trivy 0.* + ours: 4 files scanned*"])


def test_a_changed_file_is_scanned_alone_and_a_deleted_one_drops_out(
    project: pytest.Pytester,
) -> None:
    _run(project)
    config = project.path / "app" / "config.py"
    config.write_text(f'RELEASES = "{GITHUB}"\nBACKUP = "{ROTATED}"\n')
    changed, folders = _run(project)
    changed.stdout.fnmatch_lines(["  note: 3 of 4 files from the result cache"])
    assert "devsecops/secrets::github-pat[app/config.py:2]" in _items(changed)
    (staged,) = folders  # trivy read a folder holding only the changed file, at its path
    files = (project.path / "trivy-calls.log.files").read_text().splitlines()
    assert [name for name in files if "canary" not in name] == [f"{staged}/app/config.py"]
    # trivy never reads *.svg by name: the coverage check stages it again under a neutral
    # name, and the finding still carries the repository's path.
    (project.path / "app" / "logo.svg").write_text(f"<svg><!-- {ROTATED} --></svg>\n")
    svg, folders = _run(project)
    svg.stdout.fnmatch_lines(["  note: 4 of 5 files from the result cache"])
    assert "devsecops/secrets::github-pat[app/logo.svg:1]" in _items(svg)
    assert len(folders) == 2  # the changed file, then the files trivy skipped by name
    assert svg.parseoutcomes() == {"passed": 1, "failed": 5}
    (project.path / "app" / "logo.svg").unlink()
    (project.path / "app" / "db.ini").unlink()
    deleted, folders = _run(project)
    deleted.stdout.fnmatch_lines(["  note: 3 of 3 files from the result cache"])
    assert folders == []
    assert not [item for item in _items(deleted) if "db.ini" in item]
    assert deleted.parseoutcomes() == {"passed": 1, "failed": 3}


def test_cache_clear_the_ini_switch_and_another_engine_scan_everything(
    project: pytest.Pytester,
) -> None:
    cold, _ = _run(project)
    cleared, folders = _run(project, "--cache-clear")
    cleared.stdout.fnmatch_lines(["  note: 0 of 4 files from the result cache"])
    assert folders == [str(project.path)]
    off, folders = _run(project, "-o", "devsecops_cache=false")
    assert "result cache" not in off.stdout.str()
    assert folders == [str(project.path)]
    other, _ = _run(project, "-o", "devsecops_secrets_engine=trivy")
    other.stdout.fnmatch_lines(
        [
            "  note: result cache secrets.cache ignored and rebuilt: "
            "it was made for another tool version or configuration",
            "  note: 0 of 4 files from the result cache",
        ]
    )
    assert _items(cleared) == _items(off) == _items(cold)


def test_a_corrupt_cache_file_is_ignored_with_a_note_and_rebuilt(
    project: pytest.Pytester,
) -> None:
    cold, _ = _run(project)
    (cache_file,) = project.path.glob(".pytest_cache/**/secrets.cache")
    cache_file.write_bytes(cache_file.read_bytes().replace(b"github-pat", b"github-pa7"))
    damaged, folders = _run(project)
    damaged.stdout.fnmatch_lines(
        [
            "  note: result cache secrets.cache ignored and rebuilt: "
            "it is corrupt or was not written on this machine",
            "  note: 0 of 4 files from the result cache",
        ]
    )
    assert folders == [str(project.path)]
    assert _items(damaged) == _items(cold)
    _run(project)[0].stdout.fnmatch_lines(["  note: 4 of 4 files from the result cache"])


def _needles(value: str) -> dict[str, str]:
    """The value and its plain SHA-1/SHA-256 (of the value, and of it as a line)."""
    found = {"value": value}
    for suffix in ("", "\n"):
        data = (value + suffix).encode()
        found[f"sha1{suffix!r}"] = hashlib.sha1(data).hexdigest()  # noqa: S324 - what we look for
        found[f"sha256{suffix!r}"] = hashlib.sha256(data).hexdigest()
    return found


def test_the_cache_holds_no_secret_nor_a_plain_hash_of_one(project: pytest.Pytester) -> None:
    _run(project)
    config = project.path / "app" / "config.py"
    config.write_text(f'RELEASES = "{ROTATED}"\n')
    _run(project)
    (cache_file,) = project.path.glob(".pytest_cache/**/secrets.cache")
    raw = cache_file.read_text()
    payload = json.loads(raw.partition("\n")[2])
    text = raw + json.dumps(payload, ensure_ascii=False)
    assert "ghp_…(40 chars)" in text  # the findings are there, masked
    leaks = [
        f"{name} of {value[:6]}"
        for value in SECRETS
        for name, needle in _needles(value).items()
        if needle in text or needle[:16] in text
    ]
    assert leaks == []
    # A file that is nothing but the token: a plain content digest would be the token's SHA-256.
    assert (
        hashlib.sha256(BARE.encode()).hexdigest()
        == hashlib.sha256((project.path / "app" / "token.txt").read_bytes()).hexdigest()
    )


def _git(cwd: Path, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "HOME": str(cwd), "PATH": "/usr/bin:/bin"}  # fmt: skip
    subprocess.run([GIT, "-C", str(cwd), *args], check=True, capture_output=True, env=env)


def test_the_history_scan_works_beside_cached_files(project: pytest.Pytester) -> None:
    """History is scanned on every run; a secret still in a (cached) file is reported there."""
    path = project.path
    (path / ".gitignore").write_text(".pytest_cache/\ntrivy-*\n")
    _git(path, "init", "-q", "-b", "main")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "start")
    (path / "app" / "old.py").write_text(f'KEY = "{ROTATED}"\n')
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "add a key")
    (path / "app" / "old.py").write_text("KEY = None\n")
    (path / "app" / "config.py").write_text(f'RELEASES = "{GITHUB}"\nAGAIN = "{GITHUB}"\n')
    _git(path, "commit", "-q", "-am", "remove the key, repeat a token")
    history = ("-o", "devsecops_secrets_history=HEAD~2")
    cold, _ = _run(project, *history)
    warm, folders = _run(project, *history)
    warm.stdout.fnmatch_lines(["  note: 5 of 5 files from the result cache"])
    assert len(folders) == 1  # only the history pass
    assert folders[0].endswith("history")
    history_items = [item for item in _items(warm) if "@" in item]
    assert len(history_items) == 1
    assert "app/old.py@" in history_items[0]
    assert _items(warm) == _items(cold)


def test_detect_secrets_reads_only_changed_files(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """detect-secrets (in-process, so watched directly) is not run on unchanged files."""
    from pytest_devsecops.scanners.secrets import ds_engine

    scanned: list[str] = []
    real = ds_engine.scan

    def watched(root: Path, files: Iterable[str], read: dict[str, str], commit: str = "") -> Any:
        names = list(files)
        scanned.extend(name for name in names if name != "devsecops-canary.env")
        return real(root, names, read, commit)

    monkeypatch.setattr(ds_engine, "scan", watched)
    engine = ("-o", "devsecops_secrets_engine=all")
    cold, _ = _run(project, *engine)
    assert sorted(scanned) == ["app/clean.py", "app/config.py", "app/db.ini", "app/token.txt"]
    scanned.clear()
    warm, folders = _run(project, *engine)
    warm.stdout.fnmatch_lines(["  note: 4 of 4 files from the result cache"])
    assert (scanned, folders) == ([], [])
    (project.path / "app" / "db.ini").write_text("[db]\npassword = ${DB_PASSWORD}\n")
    changed, _ = _run(project, *engine)
    assert scanned == ["app/db.ini"]
    assert [item for item in _items(cold) if item not in _items(changed)] == [
        "devsecops/secrets::generic-secret[app/db.ini:2]"
    ]


def test_unchanged_files_are_not_opened_and_binaries_not_sniffed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_devsecops.scanners.interface import ScanContext
    from pytest_devsecops.scanners.secrets import files

    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "logo.bin").write_bytes(b"\x89PNG\0\0\0")
    context = ScanContext(
        root=tmp_path, paths=(tmp_path,), excludes=(), timeout=5, workdir=tmp_path
    )
    first = files.enumerate_files(context, None)
    assert first.files == ("app.py",)
    assert first.binaries_found == ["logo.bin"]

    def opened(path: object) -> bytes:
        raise AssertionError(f"{path} was opened")

    monkeypatch.setattr(files, "read_if_text", opened)
    known = {"app.py": "digest-of-app", "logo.bin": files.BINARY}
    again = files.enumerate_files(context, None, lambda name, _info: known.get(name))
    assert again.files == ("app.py",)
    assert again.known == {"app.py": "digest-of-app"}
    assert again.binaries_known == ["logo.bin"]
    assert [skip.target for skip in again.skipped] == ["logo.bin"]  # still listed as binary


def test_files_trivy_skips_by_name_are_scanned_in_an_early_run(project: pytest.Pytester) -> None:
    # Cold: the files trivy never reads by name get their own run, started beside the first.
    (project.path / "app" / "logo.svg").write_text(f"<svg><!-- {ROTATED} --></svg>\n")
    (project.path / "app" / "go.sum").write_text(f"token = {BARE}\n")
    result, folders = _run(project, "--cache-clear")
    items = _items(result)
    assert "devsecops/secrets::github-pat[app/logo.svg:1]" in items
    assert "devsecops/secrets::github-pat[app/go.sum:1]" in items
    assert any("/early/stage" in folder for folder in folders)
    assert not any("/second/stage" in folder for folder in folders)  # nothing left for later


def test_a_skip_nobody_predicted_is_still_caught_by_a_second_run(tmp_path: Path) -> None:
    from pytest_devsecops.scanners.secrets import trivy_engine

    trivy = find_tool("trivy").path
    if trivy is None:
        pytest.skip("trivy is not installed")
    read = {"a.txt": f"token = {ROTATED}\n", "b.txt": f"token = {BARE}\n"}
    for name, text in read.items():
        (tmp_path / name).write_text(text)
    first = trivy_engine.TrivyRun(version="x", scanned=frozenset({"a.txt"}))  # b.txt "unread"
    early = trivy_engine.renamed_run(trivy, read, ["a.txt"], tmp_path / "early", 60)
    outcome = trivy_engine.complete(first, read, trivy, tmp_path / "work", 60, early)
    assert outcome.scanned == {"a.txt", "b.txt"}
    assert [c.path for c in outcome.candidates] == ["b.txt"]  # a.txt: the first run's business
