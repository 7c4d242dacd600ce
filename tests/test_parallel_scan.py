"""bandit across worker processes and scanners side by side: same results, failures contained."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pytest_devsecops import runner
from pytest_devsecops.core.finding import ScanResult
from pytest_devsecops.scanners import bandit_run, process
from pytest_devsecops.scanners.interface import ScanContext


def test_the_plan_covers_every_file_once_and_balances_by_size(tmp_path: Path) -> None:
    files = []
    for n, size in enumerate([9000, 100, 100, 4000, 4000, 100]):
        files.append(tmp_path / f"f{n}.py")
        files[-1].write_text("x" * size)
    chunks = bandit_run.plan(files, 2)
    assert sorted(p for chunk in chunks for p in chunk) == sorted(files)
    assert len(chunks) == 4  # two per worker: one that finishes early takes the next
    assert len(bandit_run.plan(files, 1)) == 1
    assert bandit_run.plan(list(reversed(files)), 2) == chunks  # deterministic


def test_a_long_file_list_is_split_to_keep_argv_short(tmp_path: Path) -> None:
    files = [tmp_path / ("d" * 200) / f"{n}.py" for n in range(1000)]
    chunks = bandit_run.plan(files, 1)
    assert len(chunks) > 1
    assert all(
        sum(len(str(p)) + 1 for p in chunk) <= 2 * bandit_run.MAX_ARGV_BYTES for chunk in chunks
    )


def more_files(project: pytest.Pytester) -> None:
    for n in range(6):
        (project.path / "app" / f"mod{n}.py").write_text(
            f"import pickle\n\n\ndef load{n}(data):\n    return pickle.loads(data)\n"
        )


def test_one_worker_or_several_give_the_same_items(project: pytest.Pytester) -> None:
    more_files(project)
    args = ("--devsecops", "-v", "-o", "devsecops_cache=false")
    one = project.runpytest(*args, "-o", "devsecops_jobs=1")
    two = project.runpytest(*args, "-o", "devsecops_jobs=3")
    assert one.parseoutcomes() == two.parseoutcomes()
    lines = [line.split(" ")[0] for line in one.outlines if line.startswith("devsecops/")]
    assert len(lines) > 8
    assert lines == [line.split(" ")[0] for line in two.outlines if line.startswith("devsecops/")]


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        ({"returncode": -9}, "exited with status -9"),
        ({"returncode": None, "timed_out": True}, "timed out after"),
    ],
)
def test_a_worker_that_crashes_or_hangs_fails_the_status(
    project: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    outcome: dict[str, object],
    message: str,
) -> None:
    more_files(project)
    real_run = process.run

    def flaky(argv: list[str], timeout: float, env: object = None) -> process.ProcessOutcome:
        if any(arg.endswith("mod3.py") for arg in argv):
            return process.ProcessOutcome(tuple(argv), stdout="", stderr="Killed", **outcome)  # type: ignore[arg-type]
        return real_run(argv, timeout)

    monkeypatch.setattr(bandit_run.process, "run", flaky)
    result = project.runpytest(
        "--devsecops", "-o", "devsecops_jobs=2", "-o", "devsecops_cache=false"
    )
    result.stdout.fnmatch_lines(
        [
            f"*bandit batch * of 4 (* files): *{message}*",
            "  app/mod3.py: bandit did not report on this file",
        ]
    )
    assert result.ret == 1
    assert "bandit 1.9" in result.stdout.str()


def test_a_bad_jobs_value_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops", "-o", "devsecops_jobs=-3")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*devsecops_jobs*"])


class Sleeper:
    def __init__(self, name: str, seconds: float) -> None:
        self.name = name
        self.seconds = seconds

    def scan(self, context: ScanContext) -> ScanResult:
        time.sleep(self.seconds)
        return ScanResult(self.name, self.name, "1")


def context(tmp_path: Path, timeout: float = 60) -> ScanContext:
    return ScanContext(
        root=tmp_path, paths=(tmp_path,), excludes=(), timeout=timeout, workdir=tmp_path
    )


def test_scanners_run_side_by_side_in_a_fixed_order(tmp_path: Path) -> None:
    started = time.monotonic()
    scan = runner.run_scanners(
        [Sleeper("a", 1.0), Sleeper("b", 1.0), Sleeper("c", 0.1)], context(tmp_path)
    )
    assert time.monotonic() - started < 1.8
    assert [r.scanner for r in scan.results] == ["a", "b", "c"]
    assert all(r.complete for r in scan.results)
    assert scan.timing().startswith("scan took 1.")
    assert "side by side" in scan.timing()


def test_a_hung_scanner_fails_only_its_own_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "HANG_GRACE_SECONDS", 0.5)
    scan = runner.run_scanners(
        [Sleeper("stuck", 30), Sleeper("fine", 0)], context(tmp_path, timeout=0.5)
    )
    stuck, fine = scan.results
    assert "did not finish within its 0.5s budget (devsecops_timeout)" in stuck.error
    assert fine.complete
