"""The per-file result cache: reused only for the same bytes, tool and config; never trusted blind."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

import pytest
from cache_clock import written_later

from pytest_devsecops.scanners import cache as cache_mod
from pytest_devsecops.scanners.cache import FileCache

KEY = {"tool": "bandit 1.9.4", "config": "abc"}


def filled(folder: Path) -> FileCache:
    cache = FileCache.open(folder, "bandit", KEY)
    cache.put("a.py", "d1", {"results": [1]})
    cache.put("b.py", "d2", {"results": []})
    cache.save(["a.py", "b.py"])
    return FileCache.open(folder, "bandit", KEY)


def test_a_result_is_reused_only_for_the_same_content(tmp_path: Path) -> None:
    cache = filled(tmp_path)
    assert cache.get("a.py", "d1") == {"results": [1]}
    assert cache.get("b.py", "changed") is None
    assert cache.hits == 1
    assert not cache.notes


def test_another_tool_version_or_config_starts_afresh(tmp_path: Path) -> None:
    filled(tmp_path)
    other = FileCache.open(tmp_path, "bandit", {**KEY, "config": "xyz"})
    assert other.get("a.py", "d1") is None
    assert other.notes == [
        "result cache bandit.cache ignored and rebuilt: "
        "it was made for another tool version or configuration"
    ]


def test_deleted_files_drop_out(tmp_path: Path) -> None:
    cache = filled(tmp_path)
    cache.get("a.py", "d1")
    cache.save(["a.py"])  # b.py is gone from the project (and does not exist on disk)
    assert FileCache.open(tmp_path, "bandit", KEY).get("b.py", "d2") is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-5],  # truncated
        lambda data: b"0" * 64 + data[64:],  # signature of someone else
        lambda data: data.replace(b'"results":[1]', b'"results":[]'),  # tampered entry
    ],
)
def test_a_corrupt_or_planted_cache_is_ignored_with_a_note(tmp_path: Path, damage: object) -> None:
    filled(tmp_path)
    path = tmp_path / "bandit.cache"
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    cache = FileCache.open(tmp_path, "bandit", KEY)
    assert cache.get("a.py", "d1") is None
    assert cache.notes == [
        "result cache bandit.cache ignored and rebuilt: "
        "it is corrupt or was not written on this machine"
    ]


def test_the_cache_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_mod, "MAX_BYTES", 10)
    cache = FileCache.open(tmp_path, "bandit", KEY)
    cache.put("a.py", "d1", {"results": ["x" * 100]})
    cache.save(["a.py"])
    assert not (tmp_path / "bandit.cache").exists()
    assert "exceed" in cache.notes[0]


def _stored_by_stat(folder: Path, files: dict[str, Path], racy: bool = False) -> FileCache:
    with contextlib.nullcontext() if racy else written_later(folder):
        cache = FileCache.open(folder, "bandit", KEY)
        for rel, path in files.items():
            digest, signature = cache.file_digest(rel, path)
            cache.put(rel, digest, {"results": [rel]}, signature)
        cache.save(files)
    return FileCache.open(folder, "bandit", KEY)


def test_the_racy_margin_counts_from_before_the_files_were_looked_at(tmp_path: Path) -> None:
    # A file edited within one timestamp tick of our stat keeps its size, mtime and ctime; the
    # margin must cover that moment, not the (much later) end of the scan.
    cache = FileCache.open(tmp_path / "cache", "bandit", KEY)
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")  # after the cache was opened: as if during the scan
    digest, signature = cache.file_digest("a.py", source)
    cache.put("a.py", digest, {"results": []}, signature)
    real = time.time_ns
    with pytest.MonkeyPatch.context() as patch:  # the scan took a minute
        patch.setattr(time, "time_ns", lambda: real() + 60 * 1_000_000_000)
        cache.save(["a.py"])
    assert (
        FileCache.open(tmp_path / "cache", "bandit", KEY).known_digest("a.py", source.stat())
        is None
    )


def test_a_file_system_clock_behind_ours_does_not_make_a_racy_file_trusted(
    tmp_path: Path,
) -> None:
    # A network share whose clock runs a minute behind ours: by our clock alone, a file changed
    # just now looks a minute old, past the margin. The cache file's own mtime, stamped by the
    # same file system, says otherwise (git compares with its index file's mtime for this).
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    real = time.time_ns
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time_ns", lambda: real() + 60 * 1_000_000_000)
        cache = FileCache.open(tmp_path / "cache", "bandit", KEY)
        digest, signature = cache.file_digest("a.py", source)
        cache.put("a.py", digest, {"results": []}, signature)
        cache.save(["a.py"])
    reopened = FileCache.open(tmp_path / "cache", "bandit", KEY)
    assert reopened.trusted_before <= source.stat().st_mtime_ns
    assert reopened.known_digest("a.py", source.stat()) is None


def test_a_slow_save_does_not_widen_the_file_system_bound(tmp_path: Path) -> None:
    # The file system's clock is read before the (possibly long) encoding and write, not taken
    # from the written file's mtime: a red-team pass showed a 3 s write eating the 2 s margin.
    source = tmp_path / "a.py"
    real_time, real_write = time.time_ns, cache_mod.atomic.write_atomic

    def slow_write(path: Path, data: bytes) -> None:
        time.sleep(3)
        real_write(path, data)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time_ns", lambda: real_time() + 60 * 1_000_000_000)
        patch.setattr(cache_mod.atomic, "write_atomic", slow_write)
        cache = FileCache.open(tmp_path / "cache", "bandit", KEY)
        source.write_text("x = 1\n")  # changed after the cache was opened: never trusted
        saved = _saved_with(cache, source)
    assert FileCache.open(tmp_path / "cache", "bandit", KEY).known_digest("a.py", saved) is None


def test_a_wall_clock_stepped_back_during_the_run_does_not_move_the_bound_later(
    tmp_path: Path,
) -> None:
    # The clock is ten seconds fast when the cache opens, then NTP steps it back (our clock and
    # the file system's alike). A file changed after the opening must not look older than it.
    real_time = time.time_ns
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time_ns", lambda: real_time() + 10 * 1_000_000_000)
        cache = FileCache.open(tmp_path / "cache", "bandit", KEY)
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    saved = _saved_with(cache, source)
    assert FileCache.open(tmp_path / "cache", "bandit", KEY).known_digest("a.py", saved) is None


def _saved_with(cache: FileCache, source: Path) -> os.stat_result:
    """Record `source` as a.py in `cache` and save it; its stat, as the next run will see it."""
    digest, signature = cache.file_digest("a.py", source)
    cache.put("a.py", digest, {"results": []}, signature)
    cache.save(["a.py"])
    return source.stat()


def test_an_unchanged_file_is_recognised_by_its_stat_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    cache = _stored_by_stat(tmp_path / "cache", {"a.py": source})

    def no_reading(self: Path) -> bytes:
        raise AssertionError(f"{self} was read")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    digest, _signature = cache.file_digest("a.py", source)
    assert cache.get("a.py", digest) == {"results": ["a.py"]}


def test_a_rewrite_with_the_same_size_and_a_forged_mtime_is_read_again(tmp_path: Path) -> None:
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    before = source.stat()
    cache = _stored_by_stat(tmp_path / "cache", {"a.py": source})
    source.write_text("x = 2\n")  # same size
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))  # same mtime, new ctime
    digest, _signature = cache.file_digest("a.py", source)
    assert cache.get("a.py", digest) is None


def test_a_file_changed_just_before_the_cache_was_written_is_read_again(tmp_path: Path) -> None:
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    cache = _stored_by_stat(tmp_path / "cache", {"a.py": source}, racy=True)
    info = source.stat()
    assert cache.known_digest("a.py", info) is None  # racily clean: not trusted by stat
    digest, _signature = cache.file_digest("a.py", source)  # ... but the bytes still match
    assert cache.get("a.py", digest) == {"results": ["a.py"]}


def test_no_folder_means_no_cache(tmp_path: Path) -> None:
    cache = FileCache.open(None, "bandit", KEY)
    cache.put("a.py", "d1", {})
    cache.save(["a.py"])
    assert not cache.enabled
    assert cache.get("a.py", "d1") is None


def test_a_warm_run_reuses_every_file_and_reports_the_same(project: pytest.Pytester) -> None:
    cold = project.runpytest("--devsecops", "-v")
    cold.stdout.fnmatch_lines(["  note: 0 of 2 files from the result cache"])
    warm = project.runpytest("--devsecops", "-v")
    warm.stdout.fnmatch_lines(["  note: 2 of 2 files from the result cache"])
    assert warm.parseoutcomes() == cold.parseoutcomes()
    items = [line.split(" ")[0] for line in cold.outlines if line.startswith("devsecops/")]
    assert items
    assert items == [line.split(" ")[0] for line in warm.outlines if line.startswith("devsecops/")]


def test_a_changed_file_is_scanned_again_at_once(project: pytest.Pytester) -> None:
    project.runpytest("--devsecops")
    run_py = project.path / "app" / "run.py"
    run_py.write_text(run_py.read_text() + "\n\ndef go(x):\n    return eval(x)\n")
    result = project.runpytest("--devsecops", "-v")
    result.stdout.fnmatch_lines(["devsecops/bandit::B307[[]app/run.py:14[]] FAILED*"])
    result.stdout.fnmatch_lines(["  note: 1 of 2 files from the result cache"])


def test_a_corrupt_cache_file_is_ignored_and_rebuilt(project: pytest.Pytester) -> None:
    project.runpytest("--devsecops")
    (cache_file,) = project.path.glob(".pytest_cache/**/bandit.cache")
    cache_file.write_text("garbage")
    result = project.runpytest("--devsecops")
    result.assert_outcomes(passed=2, failed=2, xfailed=1)
    result.stdout.fnmatch_lines(["  note: result cache bandit.cache ignored and rebuilt: *"])
    project.runpytest("--devsecops").stdout.fnmatch_lines(
        ["  note: 2 of 2 files from the result cache"]
    )


def test_cache_clear_and_the_ini_switch_turn_it_off(project: pytest.Pytester) -> None:
    project.runpytest("--devsecops")
    cleared = project.runpytest("--devsecops", "--cache-clear")
    cleared.stdout.fnmatch_lines(["  note: 0 of 2 files from the result cache"])
    off = project.runpytest("--devsecops", "-o", "devsecops_cache=false")
    assert "result cache" not in off.stdout.str()
    off.assert_outcomes(passed=2, failed=2, xfailed=1)


def test_results_of_a_bandit_that_failed_its_canary_are_not_kept(project: pytest.Pytester) -> None:
    (project.path / "bandit.yaml").write_text(
        "shell_injection:\n  subprocess: []\n  shell: []\n  no_shell: []\n"
    )
    result = project.runpytest("--devsecops", "-o", "devsecops_bandit_config=bandit.yaml")
    result.stdout.fnmatch_lines(["*did not report these rules on its canary sample: B602*"])
    assert not list(project.path.glob(".pytest_cache/**/bandit.cache"))


def test_a_content_digest_is_never_a_valid_signature(tmp_path: Path) -> None:
    # A pull request commits a file whose bytes are a cache payload; its digest, kept in a cache
    # a CI artifact may expose, must not sign a planted cache that answers for a secret's file.
    cache = FileCache.open(tmp_path, "secrets", KEY)
    payload = json.dumps(
        {
            "format": cache_mod.FORMAT,
            "key": cache.key,
            "written": 0,
            "entries": {"app/x.py": ["d1", {"findings": []}, []]},
        },
        separators=(",", ":"),
    ).encode()
    (tmp_path / "secrets.cache").write_bytes(cache.digest(payload).encode() + b"\n" + payload)
    planted = FileCache.open(tmp_path, "secrets", KEY)
    assert planted.get("app/x.py", "d1") is None
    assert planted.notes == [
        "result cache secrets.cache ignored and rebuilt: "
        "it is corrupt or was not written on this machine"
    ]


def test_a_truncated_signing_key_turns_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home"))
    key = tmp_path / "home" / "pytest-devsecops" / "cache-key"
    key.parent.mkdir(parents=True)
    key.write_text("")  # what a reader racing the old writer could see
    cache = FileCache.open(tmp_path / "cache", "bandit", KEY)
    assert not cache.enabled
    assert "is not a valid key; delete it" in cache.notes[0]


def test_a_cache_folder_planted_as_a_symlink_is_not_used(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "devsecops").symlink_to(elsewhere)
    cache = FileCache.open(tmp_path / "devsecops", "bandit", KEY)
    cache.put("a.py", "d1", {})
    cache.save(["a.py"])
    assert not cache.enabled
    assert list(elsewhere.iterdir()) == []
    assert "is a symbolic link" in cache.notes[0]
