"""The baseline workflow a team follows: accept, review, move code, fix, expire."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

BASELINE = ".devsecops-baseline.yml"


def accept_all(project: pytest.Pytester) -> Path:
    result = project.runpytest("--devsecops", "--devsecops-update-baseline")
    result.assert_outcomes(passed=2, xfailed=3)
    result.stdout.fnmatch_lines(["baseline updated: 3 added, 0 removed (.devsecops-baseline.yml)"])
    return project.path / BASELINE


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_accepted_findings_xfail_with_their_reason(project: pytest.Pytester) -> None:
    baseline = accept_all(project)
    text = baseline.read_text()
    assert "line" not in text.replace("baseline", "")
    assert str(datetime.date.today()) not in text
    edit(baseline, 'reason: ""', 'reason: "only admins call it"')
    result = project.runpytest("--devsecops", "-rx")
    result.assert_outcomes(passed=2, xfailed=3)
    result.stdout.fnmatch_lines(["XFAIL devsecops/bandit::B324*baselined: only admins call it"])
    assert result.ret == pytest.ExitCode.OK


def test_a_second_update_keeps_human_words_byte_for_byte(project: pytest.Pytester) -> None:
    baseline = accept_all(project)
    edit(baseline, 'reason: ""', 'reason: "reviewed: café, on: off"   # see SEC-7')
    edit(baseline, "  - fingerprint:", "  # owned by the platform team\n  - fingerprint:")
    before = baseline.read_bytes()
    result = project.runpytest("--devsecops", "--devsecops-update-baseline")
    result.stdout.fnmatch_lines(["baseline already up to date; not rewritten"])
    assert baseline.read_bytes() == before
    (project.path / "app" / "more.py").write_text("import pickle\n")
    project.runpytest("--devsecops", "--devsecops-update-baseline")
    lines = baseline.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if "rule: B403" in line) - 2
    end = start + 1
    while lines[end].startswith("    "):
        end += 1
    assert "app/more.py" in "".join(lines[start:end])
    assert "".join(lines[:start] + lines[end:]) == before.decode()


def test_moving_code_keeps_it_accepted(project: pytest.Pytester) -> None:
    accept_all(project)
    run_py = project.path / "app" / "run.py"
    run_py.write_text("\n" * 30 + run_py.read_text())
    project.runpytest("--devsecops").assert_outcomes(passed=2, xfailed=3)


def test_a_duplicated_call_is_exactly_one_new_failure(project: pytest.Pytester) -> None:
    accept_all(project)
    edit(
        project.path / "app" / "run.py",
        "    return subprocess.call(command, shell=True)",
        "    subprocess.call(command, shell=True)\n    return subprocess.call(command, shell=True)",
    )
    # the first copy is new code (no `return`); make it textually identical:
    edit(
        project.path / "app" / "run.py",
        "    subprocess.call(command, shell=True)\n",
        "    return subprocess.call(command, shell=True)\n",
    )
    result = project.runpytest("--devsecops", "-rf")
    result.assert_outcomes(passed=2, failed=1, xfailed=3)
    result.stdout.fnmatch_lines(["FAILED devsecops/bandit::B602[[]app/run.py:7[]]*"])


def test_a_fixed_finding_leaves_one_stale_entry(project: pytest.Pytester) -> None:
    accept_all(project)
    edit(project.path / "app" / "run.py", "hashlib.md5(", "hashlib.sha256(")
    result = project.runpytest("--devsecops", "-rf")
    result.assert_outcomes(passed=2, failed=1, xfailed=2)
    result.stdout.fnmatch_lines(
        [
            "baseline entry * (B324 in app/run.py: Use of weak MD5*) matches no current finding.",
            "  .devsecops-baseline.yml:*",
            "  fixed? remove it with --devsecops-update-baseline",
            "FAILED devsecops/bandit::B324[[]app/run.py stale *[]]*",
        ]
    )
    project.runpytest("--devsecops", "-o", "devsecops_strict_baseline=false").assert_outcomes(
        passed=3, xfailed=2
    )
    update = project.runpytest("--devsecops", "--devsecops-update-baseline")
    update.stdout.fnmatch_lines(["baseline updated: 0 added, 1 removed*"])
    assert "B324" not in (project.path / BASELINE).read_text()


def test_an_expired_acceptance_fails_and_says_who_owns_it(project: pytest.Pytester) -> None:
    baseline = accept_all(project)
    text = baseline.read_text()
    start = text.index("rule: B602")
    head, tail = text[:start], text[start:]
    tail = tail.replace('owner: ""', "owner: ann", 1).replace(
        'expires: ""', "expires: 2020-01-31", 1
    )
    baseline.write_text(head + tail)
    result = project.runpytest("--devsecops")
    result.assert_outcomes(passed=2, failed=1, xfailed=2)
    result.stdout.fnmatch_lines(
        [
            "  accepted in .devsecops-baseline.yml until 2020-01-31"
            " (owner: ann; reason: none given), and that acceptance has expired*",
        ]
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"version: 1\nfindings: [\n", "is not valid YAML"),
        (b"version: 1\nversion: 1\nfindings: []\n", "duplicate key 'version'"),
        (b"version: 1\nfindings: !!python/object/apply:os.system ['touch PWNED']\n", "tag"),
    ],
)
def test_a_malformed_baseline_stops_the_run_and_is_left_alone(
    project: pytest.Pytester, content: bytes, problem: str
) -> None:
    baseline = project.path / BASELINE
    baseline.write_bytes(content)
    result = project.runpytest("--devsecops", "--devsecops-update-baseline")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*the baseline cannot be used: *{BASELINE}:*: *{problem}*"])
    assert baseline.read_bytes() == content
    assert not (project.path / "PWNED").exists()


def test_a_baseline_symlinked_outside_the_project_is_refused(project: pytest.Pytester) -> None:
    outside = project.path.parent / "victim.yml"
    outside.write_text("version: 1\nfindings: []\n")
    (project.path / BASELINE).symlink_to(outside)
    result = project.runpytest("--devsecops", "--devsecops-update-baseline")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert outside.read_text() == "version: 1\nfindings: []\n"


def test_two_processes_updating_at_once_lose_nothing(project: pytest.Pytester) -> None:
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "pytest",
        "--devsecops",
        "--devsecops-update-baseline",
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    runs = [
        subprocess.Popen(
            command, cwd=project.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    from pytest_devsecops.core.baseline import load

    baseline = load(project.path / BASELINE)
    assert len(baseline.entries) == 3  # valid, complete, nothing duplicated or lost
    assert not list(project.path.glob(".*.tmp"))
    proposed = project.path / (BASELINE + ".proposed")
    for run, output in zip(runs, outputs, strict=True):
        # Each process either wrote the file, or found it written and refused to overwrite it.
        assert run.returncode == 0 or "changed on disk while pytest was running" in output
    if proposed.exists():
        assert any("changed on disk" in output for output in outputs)
