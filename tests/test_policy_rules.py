"""Policy rules: parsing with named errors, globs, first match wins, and what each action does."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from pytest_devsecops.core.baseline import Baseline, Entry
from pytest_devsecops.core.finding import Coverage, Finding, Location, ScanResult
from pytest_devsecops.core.policy import Policy, Verdict, decide
from pytest_devsecops.core.policy_file import PolicyError, load_rules
from pytest_devsecops.core.policy_rules import default_rules, glob_match, parse_rules
from pytest_devsecops.core.severity import Severity

TODAY = datetime.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("tests/**", "tests/a/b/test_x.py", True),
        ("tests/**", "app/tests/x.py", False),
        ("**/conftest.py", "conftest.py", True),
        ("**/conftest.py", "a/b/conftest.py", True),
        ("*.py", "a/b.py", False),
        ("infra/dev/**", "infra/dev/main.tf", True),
        ("infra/dev/**", "infra/prod/main.tf", False),
        ("B1[0-9][0-9]", "B101", True),
        ("B[!1]*", "B101", False),
        ("/api/*/items", "/api/v1/items", True),
    ],
)
def test_globs(pattern: str, text: str, expected: bool) -> None:
    assert glob_match(pattern, text) is expected


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"action": "ignore"}, "rule 1: key 'reason' is required with action = \"ignore\""),
        ({"action": "block"}, "rule 1: key 'action' is 'block'; expected one of"),
        ({"fail_on": "severe"}, "rule 1: key 'fail_on' is 'severe'; expected info, low"),
        ({"action": "report", "paths": ["a[b"]}, "rule 1: bad glob 'a[b': '[' is never closed"),
        ({"action": "report", "path": ["a"]}, "rule 1: unknown key 'path'"),
        ({"action": "report", "paths": "ok", "rule": 101}, "rule 1: key 'rule' must be a string"),
        ({}, "rule 1: key 'action' is ''; expected one of ignore, report, fail, gate (or set"),
        ({"action": "fail", "fail_on": "high"}, "rule 1: key 'fail_on' only goes with"),
    ],
)
def test_bad_rules_name_their_index_and_key(rule: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_rules([rule], "pyproject.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("pyproject.toml: rule 1")


def test_the_index_is_the_rules_position() -> None:
    with pytest.raises(PolicyError, match="rule 3: key 'reason'"):
        parse_rules(
            [{"action": "report"}, {"action": "fail"}, {"action": "ignore"}], "devsecops.toml"
        )


def test_the_policy_lives_in_one_place(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[[tool.devsecops.rules]]\naction = "report"\nrule = "B1*"\n'
    )
    rules, source = load_rules(tmp_path)
    assert (source, rules[0].rule) == ("pyproject.toml", "B1*")
    (tmp_path / "devsecops.toml").write_text('[[rules]]\naction = "fail"\n')
    with pytest.raises(PolicyError, match="keep it in one place"):
        load_rules(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.other]\n")
    assert load_rules(tmp_path)[1] == "devsecops.toml"
    (tmp_path / "devsecops.toml").write_text('[[rulez]]\naction = "fail"\n')
    with pytest.raises(PolicyError, match="unknown key 'rulez'"):
        load_rules(tmp_path)


def finding(rule: str, path: str, severity: Severity, mark: str) -> Finding:
    return Finding(
        scanner="bandit",
        rule=rule,
        title="t",
        severity=severity,
        location=Location(path=path, line=1),
        identity=mark,
        fingerprint=mark * 24,
    )


def verdicts(rules: list[dict[str, object]], *findings: Finding, entries: tuple[Entry, ...] = ()):
    result = ScanResult(
        "bandit", "bandit", "1", findings=findings, coverage=Coverage(requested=(".",))
    )
    policy = Policy(Severity.MEDIUM, TODAY, rules=parse_rules(rules, "p.toml"))
    baseline = Baseline(path=Path("b.yml"), entries=entries, text="")
    return [
        (d.verdict, d.rule.index if d.rule else None) for d in decide([result], baseline, policy)
    ]


def test_first_match_wins_and_each_action_does_what_it_says() -> None:
    rules = [
        {"rule": "B101", "paths": ["tests/**"], "action": "ignore", "reason": "asserts"},
        {"rule": "B602", "action": "fail"},
        {"paths": ["infra/dev/**"], "fail_on": "high"},
        {"paths": ["infra/**"], "fail_on": "low"},
        {"rule": "B3*", "action": "report"},
    ]
    found = [
        finding("B101", "tests/test_a.py", Severity.LOW, "a"),
        finding("B101", "app/a.py", Severity.LOW, "b"),
        finding("B602", "tests/x.py", Severity.LOW, "c"),
        finding("B999", "infra/dev/x.py", Severity.MEDIUM, "d"),
        finding("B999", "infra/prod/x.py", Severity.MEDIUM, "e"),
        finding("B303", "app/x.py", Severity.CRITICAL, "f"),
    ]
    assert verdicts(rules, *found) == [
        (Verdict.IGNORED, 1),
        (Verdict.BELOW_GATE, None),
        (Verdict.NEW, 2),
        (Verdict.BELOW_GATE, 3),
        (Verdict.NEW, 4),
        (Verdict.BELOW_GATE, 5),
    ]


def test_a_minimum_severity_narrows_a_rule() -> None:
    rules = [{"severity": "high", "action": "fail"}, {"action": "report"}]
    assert verdicts(
        rules,
        finding("B1", "a.py", Severity.HIGH, "a"),
        finding("B1", "b.py", Severity.MEDIUM, "b"),
    ) == [(Verdict.NEW, 1), (Verdict.BELOW_GATE, 2)]


def test_an_ignored_finding_keeps_its_baseline_entry_without_a_stale_failure() -> None:
    rules = [{"rule": "B101", "action": "ignore", "reason": "asserts"}]
    entry = Entry(fingerprint="a" * 24, scanner="bandit", rule="B101", path="tests/t.py")
    found = finding("B101", "tests/t.py", Severity.LOW, "a")
    assert verdicts(rules, found, entries=(entry,)) == [(Verdict.IGNORED, 1)]


def test_fail_beats_the_baseline_and_gate_rules_leave_it_in_charge() -> None:
    entry = Entry(fingerprint="a" * 24, scanner="bandit", rule="B602", path="a.py")
    found = finding("B602", "a.py", Severity.HIGH, "a")
    assert verdicts([{"action": "fail"}], found, entries=(entry,)) == [(Verdict.NEW, 1)]
    assert verdicts([{"fail_on": "low"}], found, entries=(entry,)) == [(Verdict.ACCEPTED, 1)]


def test_dependencies_match_on_their_package_name() -> None:
    rules = parse_rules([{"scanner": "pip-audit", "paths": ["jinja2"], "action": "report"}], "p")
    dep = Finding(
        scanner="pip-audit",
        rule="PYSEC-1",
        title="t",
        severity=Severity.HIGH,
        location=Location(path="requirements.txt", line=1),
        identity="x",
        label="jinja2==2.10",
    )
    assert rules[0].matches(dep)


def test_the_built_in_rule_covers_pytest_test_paths() -> None:
    (rule,) = default_rules(["tests", "it/"])
    for path in (
        "tests/unit/test_a.py",
        "it/x.py",
        "pkg/test_b.py",
        "pkg/b_test.py",
        "conftest.py",
    ):
        assert rule.matches(finding("B101", path, Severity.LOW, "a")), path
    assert not rule.matches(finding("B101", "pkg/core.py", Severity.LOW, "a"))
    assert not rule.matches(finding("B602", "tests/test_a.py", Severity.LOW, "a"))


def test_acceptance_rules_refuse_incomplete_or_far_out_entries() -> None:
    rules = Policy(Severity.MEDIUM, TODAY, require=("reason", "owner"), max_acceptance_days=180)
    good = Entry("a" * 24, "bandit", "B1", reason="ok", owner="ann", expires=TODAY)
    assert rules.refusal(good) == ""
    no_owner = Entry("a" * 24, "bandit", "B1", reason="ok", expires=TODAY)
    assert "has no 'owner'" in rules.refusal(no_owner)
    far = Entry(
        "a" * 24, "bandit", "B1", reason="ok", owner="ann", expires=datetime.date(2030, 1, 1)
    )
    assert "expires 2030-01-01, later than 2026-11-28" in rules.refusal(far)
    never = Entry("a" * 24, "bandit", "B1", reason="ok", owner="ann")
    assert "expires never" in rules.refusal(never)


def test_a_rules_file_level_is_a_rule_of_the_same_engine_after_the_users() -> None:
    import dataclasses

    flagged = dataclasses.replace(finding("10010", "", Severity.LOW, "a"), policy="fail")
    assert verdicts([], flagged) == [(Verdict.NEW, 0)]
    # the user's own rules come first
    assert verdicts([{"rule": "10010", "action": "report"}], flagged) == [(Verdict.BELOW_GATE, 1)]
    warned = dataclasses.replace(finding("10020", "", Severity.HIGH, "b"), policy="report")
    assert verdicts([], warned) == [(Verdict.BELOW_GATE, 0)]
