"""The baseline loader accepts plain data only, and names the line of every problem."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from pytest_devsecops.core.baseline import MAX_BYTES, BaselineError, load, parse

GOOD = b"""\
version: 1
findings:
  - fingerprint: "0123456789abcdef01234567"
    scanner: bandit
    rule: B602
    path: app/run.py
    title: shell
    severity: high
    reason: reviewed
    owner: sec-team
    expires: 2030-01-31
"""


def entry_text(**fields: str) -> bytes:
    values = {"fingerprint": '"0123456789abcdef01234567"', "scanner": "bandit", "rule": "B602"}
    values.update(fields)
    body = "".join(f"    {key}: {value}\n" for key, value in values.items()).lstrip()
    return f"version: 1\nfindings:\n  - {body}".encode()


def test_a_good_baseline_loads_every_field(tmp_path: Path) -> None:
    (entry,) = parse(tmp_path / "b.yml", GOOD).entries
    assert entry.reason == "reviewed"
    assert entry.owner == "sec-team"
    assert entry.expires == datetime.date(2030, 1, 31)
    assert entry.line == 3


def test_a_missing_file_is_an_empty_baseline(tmp_path: Path) -> None:
    baseline = load(tmp_path / "absent.yml")
    assert baseline.entries == ()
    assert not baseline.exists


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        (b"version: 1\nfindings: [\n", 3, "not valid YAML"),
        (
            GOOD.replace(b"    rule: B602\n", b"    rule: B602\n    rule: B605\n"),
            6,
            "duplicate key 'rule'",
        ),
        (b"version: 1\nfindings: !!python/object/apply:os.system ['touch pwned']\n", 2, "tag"),
        (b"version: 1\nx: &a [1]\ny: *a\n", 2, "anchor"),
        (b"version: 2\nfindings: []\n", 1, "schema version"),
        (b"findings: []\n", 1, "no 'version'"),
        (b"version: 1\nfindings: {}\n", 2, "must be a list"),
        (b"version: 1\nextra: 1\nfindings: []\n", 2, "unknown key 'extra'"),
        (entry_text(fingerprint='"*"'), 3, "not one this plugin wrote"),
        (entry_text(fingerprint='".*"'), 3, "not one this plugin wrote"),
        (entry_text(expires="next year"), 6, "not a YYYY-MM-DD date"),
        (entry_text(scanner='""'), 3, "no 'scanner'"),
        (b"version: 1\nfindings:\n  - ok\n", 3, "must be a mapping"),
        (b"version: 1\nfindings: []\n# \xff\n", 3, "not valid UTF-8"),
        (
            entry_text(expire="2030-01-31"),
            6,
            "unknown key 'expire' in an entry (did you mean 'expires'?)",
        ),
        (entry_text(Owner="ann"), 6, "unknown key 'Owner'"),
        (b"version: &v 1\nfindings: []\n", 1, "anchor"),
        (entry_text(reason="&why reviewed"), 6, "anchor"),
        (b"version: 1\nfindings: " + b"[" * 5000, 2, "nested more than 16 levels"),
        (b"version: 1\nfindings:\n" + b"  - " * 3000 + b"x\n", 3, "nested more than 16 levels"),
    ],
)
def test_bad_baselines_name_file_line_and_problem(
    tmp_path: Path, content: bytes, line: int, problem: str
) -> None:
    path = tmp_path / "baseline.yml"
    with pytest.raises(BaselineError) as caught:
        parse(path, content)
    assert caught.value.line == line
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_a_tagged_baseline_runs_no_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    content = f"version: 1\nfindings: !!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(BaselineError):
        parse(tmp_path / "b.yml", content.encode())
    assert not marker.exists()


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = "version: 1\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    with pytest.raises(BaselineError, match="anchors"):
        parse(tmp_path / "b.yml", bomb.encode())


def test_yaml_11_booleans_stay_strings(tmp_path: Path) -> None:
    (entry,) = parse(tmp_path / "b.yml", entry_text(reason="on", owner="off")).entries
    assert (entry.reason, entry.owner) == ("on", "off")


def test_a_listed_fingerprint_twice_is_refused(tmp_path: Path) -> None:
    doubled = GOOD + GOOD.split(b"findings:\n", 1)[1]
    with pytest.raises(BaselineError, match="listed twice"):
        parse(tmp_path / "b.yml", doubled)


def test_oversized_and_symlinked_baselines_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yml"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    with pytest.raises(BaselineError, match="larger than"):
        load(big)
    link = tmp_path / "link.yml"
    link.symlink_to(big)
    with pytest.raises(BaselineError, match="symbolic link"):
        load(link)


def test_a_misspelt_key_is_a_usage_error_naming_file_line_and_key(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ndevsecops_scanners = ["bandit"]\n')
    (pytester.path / ".devsecops-baseline.yml").write_bytes(entry_text(expire="2030-01-31"))
    result = pytester.runpytest("--devsecops")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*.devsecops-baseline.yml:6: unknown key 'expire' in an entry*"])


def test_a_deeply_nested_baseline_is_a_usage_error_not_a_crash(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ndevsecops_scanners = ["bandit"]\n')
    (pytester.path / ".devsecops-baseline.yml").write_bytes(
        b"version: 1\nfindings: " + b"[" * 50000
    )
    result = pytester.runpytest("--devsecops")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*nested more than 16 levels deep*"])
    assert "RecursionError" not in result.stdout.str() + result.stderr.str()
