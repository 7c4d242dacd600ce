"""Policy as code end to end: defaults, per-path gates, usage errors, acceptance rules."""

from __future__ import annotations

import datetime

import pytest

SHELL = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
WEAK_HASH = (
    "import hashlib\n\n\ndef token(user):\n    return hashlib.md5(user.encode()).hexdigest()\n"
)
BASELINE = ".devsecops-baseline.yml"


@pytest.fixture
def tested_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project whose tests assert (B101, low) and whose app has one medium finding (B324)."""
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        devsecops_scanners = ["bandit"]
        """
    )
    app = pytester.mkpydir("app")
    (app / "hashing.py").write_text(WEAK_HASH)
    (app / "check.py").write_text("def positive(x):\n    assert x > 0\n    return x\n")
    tests = pytester.mkdir("tests")
    (tests / "test_app.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    (tests / "conftest.py").write_text("assert True\n")
    return pytester


def test_asserts_in_tests_are_not_findings_by_default(tested_project: pytest.Pytester) -> None:
    result = tested_project.runpytest("--devsecops", "-v", "-p", "no:randomly")
    result.stdout.fnmatch_lines(
        [
            "devsecops: built-in policy rule: bandit B101 ignored in tests/**, **/test_*.py, "
            "**/*_test.py, **/conftest.py (devsecops_default_rules = false turns it off)",
        ]
    )
    output = result.stdout.str()
    assert "B101[tests" not in output
    # an assert in application code is still a finding
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/bandit::B101[[]app/check.py:2[]] XFAIL*",
            "bandit *; 4 findings: 1 failed, 1 below-gate, 2 ignored by policy: tests/**, "
            "**/test_*.py, **/*_test.py, **/conftest.py*",
        ]
    )
    off = tested_project.runpytest("--devsecops", "-v", "-o", "devsecops_default_rules=false")
    off.stdout.fnmatch_lines_random(["devsecops/bandit::B101[[]tests/test_app.py:2[]] XFAIL*"])
    assert "built-in policy rule" not in off.stdout.str()


def test_ignored_findings_are_in_the_json_report(tested_project: pytest.Pytester) -> None:
    import json

    tested_project.runpytest("--devsecops", "--devsecops-json", "report.json")
    report = json.loads((tested_project.path / "report.json").read_text())
    ignored = [f for f in report["findings"] if f["outcome"] == "ignored"]
    assert sorted(f["location"]["path"] for f in ignored) == [
        "tests/conftest.py",
        "tests/test_app.py",
    ]
    assert ignored[0]["policy_rule"].startswith("built-in rule B101-in-tests: ignore for bandit")


def test_per_path_gates_fail_in_one_folder_and_report_in_another(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        devsecops_scanners = ["bandit"]

        [[tool.devsecops.rules]]
        paths = ["strict/**"]
        fail_on = "low"

        [[tool.devsecops.rules]]
        paths = ["relaxed/**"]
        fail_on = "critical"
        """
    )
    for folder in ("strict", "relaxed"):
        pytester.mkpydir(folder).joinpath("hashing.py").write_text(WEAK_HASH)
    result = pytester.runpytest("--devsecops", "-v", "-rf")
    result.stdout.fnmatch_lines_random(
        [
            "devsecops: policy: pyproject.toml (2 rules)",
            "devsecops/bandit::B324[[]strict/hashing.py:5[]] FAILED*",
            "devsecops/bandit::B324[[]relaxed/hashing.py:5[]] XFAIL*",
        ]
    )


def test_a_banned_rule_fails_even_when_baselined(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ndevsecops_scanners = ["bandit"]\n')
    pytester.mkpydir("app").joinpath("run.py").write_text(SHELL)
    pytester.runpytest("--devsecops", "--devsecops-update-baseline")
    (pytester.path / "devsecops.toml").write_text(
        '[[rules]]\nscanner = "bandit"\nrule = "B602"\naction = "fail"\n'
    )
    result = pytester.runpytest("--devsecops", "-rf")
    result.stdout.fnmatch_lines(
        [
            "  decided by policy rule 1 (devsecops.toml): always fail for bandit rule B602",
            "FAILED devsecops/bandit::B602*",
        ]
    )


def test_an_ignore_rule_without_a_reason_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        devsecops_scanners = ["bandit"]

        [[tool.devsecops.rules]]
        rule = "B101"
        action = "report"

        [[tool.devsecops.rules]]
        rule = "B404"
        action = "ignore"
        """
    )
    result = pytester.runpytest("--devsecops")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*pytest-devsecops: policy: pyproject.toml: rule 2: key 'reason' is required with "
            'action = "ignore"'
        ]
    )


def accept(pytester: pytest.Pytester, **ini: str) -> None:
    lines = "".join(f"{key} = {value}\n" for key, value in ini.items())
    pytester.makepyprojecttoml(
        f'[tool.pytest.ini_options]\ndevsecops_scanners = ["bandit"]\n{lines}'
    )
    pytester.mkpydir("app").joinpath("run.py").write_text(SHELL)
    pytester.runpytest("--devsecops", "--devsecops-update-baseline")


def test_required_fields_make_an_incomplete_acceptance_fail(pytester: pytest.Pytester) -> None:
    accept(pytester, devsecops_require='"reason owner"')
    baseline = pytester.path / BASELINE
    baseline.write_text(baseline.read_text().replace('reason: ""', "reason: reviewed"))
    result = pytester.runpytest("--devsecops", "-rf")
    result.stdout.fnmatch_lines(
        [
            "devsecops: baseline acceptances must require reason owner",
            "  accepted in .devsecops-baseline.yml:*, but the acceptance is refused: the baseline "
            "entry has no 'owner' (devsecops_require = reason owner)*",
            "FAILED devsecops/bandit::B602*",
        ]
    )
    baseline.write_text(baseline.read_text().replace('owner: ""', "owner: ann"))
    pytester.runpytest("--devsecops").assert_outcomes(passed=1, xfailed=2)


def test_the_acceptance_horizon_fills_and_limits_expires(pytester: pytest.Pytester) -> None:
    accept(pytester, devsecops_max_acceptance_days='"90"')
    horizon = datetime.date.today() + datetime.timedelta(days=90)
    baseline = pytester.path / BASELINE
    assert f'expires: "{horizon.isoformat()}"' in baseline.read_text()
    pytester.runpytest("--devsecops").assert_outcomes(passed=1, xfailed=2)
    baseline.write_text(baseline.read_text().replace(horizon.isoformat(), "2999-01-01", 1))
    result = pytester.runpytest("--devsecops", "-rf")
    result.stdout.fnmatch_lines(
        ["*expires 2999-01-01, later than * (devsecops_max_acceptance_days = 90)*"]
    )


def test_acceptances_that_expire_soon_are_listed(pytester: pytest.Pytester) -> None:
    accept(pytester)
    baseline = pytester.path / BASELINE
    soon = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    text = baseline.read_text()
    start = text.index("rule: B602")
    baseline.write_text(
        text[:start]
        + text[start:]
        .replace('owner: ""', "owner: ann", 1)
        .replace('expires: ""', f"expires: {soon}", 1)
    )
    result = pytester.runpytest("--devsecops")
    result.stdout.fnmatch_lines(
        [
            "expiring soon: 1 acceptance(s) in .devsecops-baseline.yml within 14 days",
            f"  {soon} bandit B602 in app/run.py (owner: ann; .devsecops-baseline.yml:*)",
        ]
    )


def test_the_built_in_rule_is_never_in_the_baseline(tested_project: pytest.Pytester) -> None:
    tested_project.runpytest("--devsecops", "--devsecops-update-baseline")
    text = (tested_project.path / BASELINE).read_text()
    assert "tests/test_app.py" not in text
    assert "app/check.py" in text


def test_explain_names_the_rule_that_decided_and_uses_the_cached_scan(
    tested_project: pytest.Pytester,
) -> None:
    first = tested_project.runpytest(
        "--devsecops-explain", "devsecops/bandit::B324[app/hashing.py:5]"
    )
    assert first.ret == pytest.ExitCode.OK
    first.stdout.fnmatch_lines(
        [
            "devsecops: no cached scan; scanning now",
            "devsecops/bandit::B324[[]app/hashing.py:5[]]  (fingerprint *)",
            "  outcome: FAILS (a finding at or above its gate, not accepted)",
            "  1. policy: none of the 1 policy rule(s) matches",
            "  2. baseline: no entry in .devsecops-baseline.yml has this fingerprint",
            "  3. gate: severity high >= fail-on = medium",
            "  decided by: the gate",
        ]
    )
    (tested_project.path / "app" / "hashing.py").unlink()  # a new scan would not see it
    second = tested_project.runpytest("--devsecops-explain", "B101[tests/test_app.py:2]")
    second.stdout.fnmatch_lines(
        [
            "devsecops: explaining from the last cached scan*",
            "  decided by: policy built-in rule B101-in-tests (action = ignore)",
        ]
    )
    fingerprint = first.stdout.str().split("(fingerprint ")[1][:10]
    by_fingerprint = tested_project.runpytest("--devsecops-explain", fingerprint)
    by_fingerprint.stdout.fnmatch_lines(["devsecops/bandit::B324[[]app/hashing.py:5[]]*"])
    unknown = tested_project.runpytest("--devsecops-explain", "B999[nowhere]")
    assert unknown.ret == pytest.ExitCode.USAGE_ERROR
    unknown.stdout.fnmatch_lines(
        ["devsecops: no finding or baseline entry is 'B999[[]nowhere[]]'*"]
    )
