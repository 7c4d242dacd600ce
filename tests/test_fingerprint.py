from __future__ import annotations

from pytest_devsecops.core.finding import Finding, Location
from pytest_devsecops.core.fingerprint import assign, normalise_code
from pytest_devsecops.core.severity import Severity


def finding(line: int, code: str = "subprocess.call(x, shell=True)", path: str = "a.py") -> Finding:
    return Finding(
        scanner="bandit",
        rule="B602",
        title="shell",
        severity=Severity.HIGH,
        location=Location(path=path, line=line),
        identity=f"{path}|{normalise_code(code)}",
    )


def test_moving_a_finding_keeps_its_fingerprint() -> None:
    (before,) = assign([finding(14)])
    (after,) = assign([finding(44)])
    assert before.fingerprint == after.fingerprint


def test_whitespace_changes_keep_the_fingerprint() -> None:
    (before,) = assign([finding(3, "subprocess.call(x,shell=True)")])
    (after,) = assign([finding(3, "subprocess.call(x,shell=True)   ")])
    assert before.fingerprint == after.fingerprint


def test_a_second_identical_finding_gets_a_new_fingerprint() -> None:
    (only,) = assign([finding(10)])
    first, second = assign([finding(20), finding(10)])
    assert first.location.line == 10
    assert first.fingerprint == only.fingerprint
    assert second.fingerprint != only.fingerprint


def test_removing_one_of_two_copies_leaves_the_first_fingerprint() -> None:
    both = {f.fingerprint for f in assign([finding(10), finding(20)])}
    remaining = {f.fingerprint for f in assign([finding(20)])}
    assert len(both - remaining) == 1
    assert remaining <= both


def test_other_file_or_code_is_another_identity() -> None:
    base = assign([finding(1)])[0].fingerprint
    assert assign([finding(1, path="b.py")])[0].fingerprint != base
    assert assign([finding(1, code="os.system(x)")])[0].fingerprint != base
