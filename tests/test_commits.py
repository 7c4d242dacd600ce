"""The commits scanner: every commit in the range is signed by a trusted key, or it is an item."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from signed_repos import allowed_signers, commit, git, init, keypair, tamper_with_head

from pytest_devsecops.core.finding import ScanResult
from pytest_devsecops.scanners.commits import CommitsScanner
from pytest_devsecops.scanners.interface import ScanContext

pytestmark = pytest.mark.skipif(
    not (shutil.which("git") and shutil.which("ssh-keygen")), reason="needs git and ssh-keygen"
)


def scan(
    repo: Path, tmp_path: Path, commit_range: str = "main~3..main", signers: Path | None = None
) -> ScanResult:
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    context = ScanContext(root=repo, paths=(repo,), excludes=(), timeout=60, workdir=workdir)
    return CommitsScanner(commit_range=commit_range, allowed_signers=signers).scan(context)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    return {name: keypair(tmp_path / "keys", name) for name in ("alice", "mallory")}


def test_exactly_the_unsigned_commit_fails(tmp_path: Path, keys: dict[str, Path]) -> None:
    repo = init(tmp_path / "repo")
    commit(repo, "signed one", keys["alice"])
    unsigned = commit(repo, "not signed")
    commit(repo, "signed two", keys["alice"])
    signers = allowed_signers(tmp_path / "allowed", ("alice@example.com", keys["alice"]))
    result = scan(repo, tmp_path, signers=signers)
    assert result.complete, result.error
    assert len(result.coverage.scanned) == 3
    (finding,) = result.findings
    assert (finding.rule, finding.item_label, finding.identity) == (
        "unsigned",
        unsigned[:7],
        unsigned,
    )
    details = dict(finding.details)
    assert details["author"] == "Alice <alice@example.com>"
    assert details["subject"] == "not signed"
    assert details["date"].startswith("20")
    assert unsigned[:12] in finding.title
    assert finding.location.path == "."


def test_separators_in_a_subject_do_not_hide_a_commit(tmp_path: Path) -> None:
    repo = init(tmp_path / "repo")
    sneaky = commit(repo, "looks\x1fharmless\x1eG")
    (finding,) = scan(repo, tmp_path, "main~1..main").findings
    assert (finding.rule, finding.identity) == ("unsigned", sneaky)


def test_a_key_missing_from_the_allowed_signers_is_untrusted(
    tmp_path: Path, keys: dict[str, Path]
) -> None:
    repo = init(tmp_path / "repo")
    commit(repo, "by alice", keys["alice"])
    intruder = commit(repo, "by mallory", keys["mallory"])
    signers = allowed_signers(tmp_path / "allowed", ("alice@example.com", keys["alice"]))
    result = scan(repo, tmp_path, "main~2..main", signers)
    assert [(f.rule, f.identity) for f in result.findings] == [("untrusted-signer", intruder)]
    assert "SHA256:" in dict(result.findings[0].details)["signed by"]


def test_without_allowed_signers_no_ssh_key_is_trusted(
    tmp_path: Path, keys: dict[str, Path]
) -> None:
    repo = init(tmp_path / "repo")
    commit(repo, "by alice", keys["alice"])
    (finding,) = scan(repo, tmp_path, "main~1..main").findings
    assert finding.rule == "untrusted-signer"
    assert "devsecops_allowed_signers is not set" in dict(finding.details)["signature"]


def test_a_tampered_commit_has_a_bad_signature(tmp_path: Path, keys: dict[str, Path]) -> None:
    repo = init(tmp_path / "repo")
    commit(repo, "by alice", keys["alice"])
    forged = tamper_with_head(repo)
    signers = allowed_signers(tmp_path / "allowed", ("alice@example.com", keys["alice"]))
    (finding,) = scan(repo, tmp_path, "main~1..main", signers).findings
    assert (finding.rule, finding.identity, finding.severity.value) == (
        "bad-signature",
        forged,
        "critical",
    )


def test_a_range_that_does_not_resolve_fails_the_status(tmp_path: Path) -> None:
    repo = init(tmp_path / "repo")
    result = scan(repo, tmp_path, "origin/main..HEAD")
    assert "'origin/main'" in result.error
    assert "does not resolve" in result.error
    assert "git fetch origin main" in result.hint


@pytest.mark.parametrize("commit_range", ["--output=/tmp/x..HEAD", "main", "main..", "a b..c"])
def test_a_range_that_is_not_base_dot_dot_head_is_refused(
    tmp_path: Path, commit_range: str
) -> None:
    result = scan(init(tmp_path / "repo"), tmp_path, commit_range)
    assert "is not a BASE..HEAD range" in result.error


def test_a_shallow_clone_fails_with_the_fix(tmp_path: Path) -> None:
    origin = init(tmp_path / "origin")
    for index in range(3):
        commit(origin, f"change {index}")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    result = scan(clone, tmp_path, "HEAD~2..HEAD")
    assert "shallow clone" in result.error
    assert "fetch-depth: 0" in result.hint


def test_a_missing_allowed_signers_file_fails_the_status(tmp_path: Path) -> None:
    repo = init(tmp_path / "repo")
    result = scan(repo, tmp_path, "main..main", tmp_path / "nope")
    assert "does not exist" in result.error


PYPROJECT = """
[tool.pytest.ini_options]
devsecops_scanners = ["commits"]
devsecops_commit_range = "main~2..main"
devsecops_allowed_signers = "allowed_signers"
"""


def test_commit_items_in_reports_and_the_baseline(
    pytester: pytest.Pytester, keys: dict[str, Path]
) -> None:
    repo = pytester.path
    git(repo, "init", "-q", "-b", "main")
    allowed_signers(repo / "allowed_signers", ("alice@example.com", keys["alice"]))
    pytester.makepyprojecttoml(PYPROJECT)
    commit(repo, "setup")
    unsigned = commit(repo, "quick fix")
    commit(repo, "signed", keys["alice"])
    result = pytester.runpytest(
        "--devsecops", "--devsecops-json=r.json", "--devsecops-sarif=r.sarif", "-p", "no:randomly"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"FAILED devsecops/commits::unsigned[[]{unsigned[:7]}[]]*"])
    sarif = json.loads((repo / "r.sarif").read_text())
    (sarif_result,) = [r for run in sarif["runs"] for r in run["results"]]
    location = sarif_result["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": ".", "uriBaseId": "%SRCROOT%"}}
    assert unsigned[:12] in sarif_result["message"]["text"]
    report = json.loads((repo / "r.json").read_text())
    assert unsigned in json.dumps(report)
    accepted = pytester.runpytest("--devsecops", "--devsecops-update-baseline")
    accepted.assert_outcomes(passed=1, xfailed=1)
    baseline = (repo / ".devsecops-baseline.yml").read_text()
    assert "rule: unsigned" in baseline


def test_without_a_range_the_scanner_is_not_run_and_the_header_says_why(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\ndevsecops_paths = ['app']\n")
    pytester.mkpydir("app")
    result = pytester.runpytest("--devsecops", "-p", "no:randomly")
    result.stdout.fnmatch_lines(["devsecops: commits not run: set devsecops_commit_range*"])
    assert "devsecops/commits" not in result.stdout.str()
    named = pytester.runpytest("--devsecops", "--devsecops-scanners=commits")
    named.stderr.fnmatch_lines(["*the commits scanner needs ini devsecops_commit_range*"])
