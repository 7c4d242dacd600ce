"""--devsecops-since: only lines changed since a git ref are gated; the rest is pre-existing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_devsecops.core.finding import Finding, Location
from pytest_devsecops.core.policy import Decision, Verdict
from pytest_devsecops.core.severity import Severity
from pytest_devsecops.core.since import ChangeSet, apply, parse_diff

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

DIFF = """\
diff --git a/app/run.py b/app/run.py
--- a/app/run.py
+++ b/app/run.py
@@ -3,0 +4,2 @@ import subprocess
+x = 1
+y = 2
@@ -10 +12 @@ def token(user):
-old
+new
diff --git a/gone.py b/gone.py
--- a/gone.py
+++ /dev/null
@@ -1,2 +0,0 @@
diff --git "a/odd\\tname.py" "b/odd\\tname.py"
--- "a/odd\\tname.py"
+++ "b/odd\\tname.py"
@@ -5,0 +6 @@
+z = 3
"""


def test_changed_lines_are_read_from_a_zero_context_diff() -> None:
    assert parse_diff(DIFF) == {
        "app/run.py": frozenset({4, 5, 12}),
        "odd\tname.py": frozenset({6}),
    }


def finding(path: str, line: int, snippet: str = "x") -> Finding:
    return Finding(
        "bandit", "B602", "t", Severity.HIGH, Location(path, line), "id", snippet=snippet
    )


def test_only_new_findings_on_untouched_lines_are_demoted() -> None:
    changes = ChangeSet("main", "abc", {"a.py": frozenset({5}), "new.py": None})
    decisions = [
        Decision(Verdict.NEW, "bandit", finding("a.py", 5)),
        Decision(Verdict.NEW, "bandit", finding("a.py", 3, "x\ny\nz")),  # spans line 5
        Decision(Verdict.NEW, "bandit", finding("a.py", 9)),
        Decision(Verdict.NEW, "bandit", finding("new.py", 40)),
        Decision(Verdict.EXPIRED, "bandit", finding("b.py", 1)),
        Decision(Verdict.NEW, "pip-audit", finding("requirements.txt", 1)),
    ]
    verdicts = [d.verdict for d in apply(decisions, changes, ["bandit"])]
    assert verdicts == [
        Verdict.NEW,
        Verdict.NEW,
        Verdict.BELOW_GATE,
        Verdict.NEW,
        Verdict.EXPIRED,
        Verdict.NEW,
    ]
    assert apply(decisions, changes, ["bandit"])[2].note == "pre-existing, not changed since main"


def git(where: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],  # noqa: S607
        cwd=where,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(project: pytest.Pytester) -> pytest.Pytester:
    git(project.path, "init", "-q", "-b", "main")
    git(project.path, "add", "-A")
    git(project.path, "commit", "-q", "-m", "legacy code")
    git(project.path, "checkout", "-q", "-b", "feature")
    return project


def add_eval(project: pytest.Pytester) -> None:
    run_py = project.path / "app" / "run.py"
    run_py.write_text(run_py.read_text() + "\n\ndef go(x):\n    return eval(x)\n")


def test_a_branch_with_one_new_finding_fails_only_that_one(repo: pytest.Pytester) -> None:
    add_eval(repo)
    git(repo.path, "commit", "-q", "-am", "new code")
    result = repo.runpytest("--devsecops", "--devsecops-since", "main", "-rxf")
    result.assert_outcomes(passed=2, failed=1, xfailed=3)
    result.stdout.fnmatch_lines(
        [
            "devsecops: since main (merge base *): findings on unchanged lines are reported "
            "below the gate (bandit)",
            "XFAIL devsecops/bandit::B602[[]app/run.py:6[]] - pre-existing, not changed since main",
        ]
    )
    result.stdout.fnmatch_lines(["FAILED devsecops/bandit::B307[[]app/run.py:14[]]*"])


def test_uncommitted_and_untracked_changes_count(repo: pytest.Pytester) -> None:
    add_eval(repo)
    (repo.path / "app" / "fresh.py").write_text("import os\nos.system(input())\n")
    result = repo.runpytest("--devsecops", "-o", "devsecops_since=main")
    result.assert_outcomes(passed=2, failed=2, xfailed=3)


def test_an_unknown_ref_is_a_usage_error_naming_it(repo: pytest.Pytester) -> None:
    result = repo.runpytest("--devsecops", "--devsecops-since", "no-such-branch")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--devsecops-since no-such-branch: no such git revision*"])


def test_scanners_without_file_lines_are_named_in_the_header(repo: pytest.Pytester) -> None:
    repo.makeconftest(
        """
        from pytest_devsecops.core.finding import ScanResult

        class Deps:
            name = "deps"
            def scan(self, context):
                return ScanResult("deps", "deps", "1")

        def pytest_devsecops_register_scanners(config, registry):
            registry.add(Deps())
        """
    )
    result = repo.runpytest(
        "--devsecops", "--devsecops-since=main", "-o", "devsecops_scanners=bandit deps"
    )
    result.stdout.fnmatch_lines(["*below the gate (bandit); no effect on deps (no file lines)"])


def test_xdist_workers_gate_like_the_controller(repo: pytest.Pytester) -> None:
    add_eval(repo)
    result = repo.runpytest("--devsecops", "--devsecops-since", "main", "-n", "2")
    result.assert_outcomes(passed=2, failed=1, xfailed=3)


def test_since_outside_a_git_repository_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops", "--devsecops-since", "main")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--devsecops-since main: * is not inside a git work tree*"])
