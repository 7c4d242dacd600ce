"""Each bandit finding is one readable, selectable test item."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest


def test_one_item_per_finding_with_readable_node_ids(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops", "-v", "-rfx")
    result.assert_outcomes(passed=2, failed=2, xfailed=1)
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/bandit::status PASSED*",
            "devsecops/bandit::B404[[]app/run.py:2[]] XFAIL (below fail-on=medium)*",
            "devsecops/bandit::B602[[]app/run.py:6[]] FAILED*",
            "devsecops/bandit::B324[[]app/run.py:10[]] FAILED*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_the_failure_explains_the_finding_without_a_traceback(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops")
    result.stdout.fnmatch_lines(
        [
            "*_ [[]bandit[]] B602 _*",
            "B602 subprocess call with shell=True identified, security issue.",
            "  severity: high   confidence: high   CWE-78",
            "  at app/run.py:6",
            "    6 |     return subprocess.call(command, shell=True)",
            "  what to do: Pass an argv list and drop shell=True*",
            "  more: https://bandit.readthedocs.io/*",
            "  fingerprint: *",
            "  to accept it: pytest --devsecops --devsecops-update-baseline*",
        ]
    )
    output = result.stdout.str()
    assert "_pytest" not in output
    assert "Traceback" not in output
    result.stdout.fnmatch_lines(
        ["bandit 1.*: 2 files scanned*, complete; 3 findings: 2 failed, 1 below-gate*"]
    )


@pytest.mark.parametrize(
    ("selection", "outcomes"),
    [
        (["-k", "high"], {"failed": 2}),
        (["-k", "B602"], {"failed": 1}),
        (["-m", "devsecops and not bandit"], {}),
        (["-m", "bandit"], {"failed": 2, "passed": 1, "xfailed": 1}),
        (["-k", "status"], {"passed": 1}),
    ],
)
def test_k_and_m_select_findings(
    project: pytest.Pytester, selection: list[str], outcomes: dict[str, int]
) -> None:
    result = project.runpytest("--devsecops", *selection)
    assert {k: v for k, v in result.parseoutcomes().items() if k != "deselected"} == outcomes


def test_the_gate_decides_what_fails(project: pytest.Pytester) -> None:
    project.runpytest("--devsecops", "--devsecops-fail-on", "critical").assert_outcomes(
        passed=2, xfailed=3
    )
    project.runpytest("--devsecops", "-o", "devsecops_fail_on=low").assert_outcomes(
        passed=2, failed=3
    )


def test_junit_xml_carries_the_finding(project: pytest.Pytester) -> None:
    project.runpytest("--devsecops", "--junitxml=out.xml")
    tree = ET.parse(project.path / "out.xml")  # noqa: S314 - our own output
    case = next(c for c in tree.iter("testcase") if "B602" in c.get("name", ""))
    assert case.get("classname") == "devsecops.bandit"
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["devsecops_rule"] == "B602"
    assert properties["devsecops_severity"] == "high"
    assert properties["devsecops_cwe"] == "CWE-78"
    assert properties["devsecops_location"] == "app/run.py:6"
    assert properties["devsecops_verdict"] == "new"


def test_nosec_is_reported_not_honoured(project: pytest.Pytester) -> None:
    run_py = project.path / "app" / "run.py"
    run_py.write_text(run_py.read_text().replace("shell=True)", "shell=True)  # nosec"))
    result = project.runpytest("--devsecops")
    result.assert_outcomes(passed=2, failed=2, xfailed=1)
    result.stdout.fnmatch_lines(["  inline suppression: this line carries `# nosec`*"])
    honoured = project.runpytest("--devsecops", "-o", "devsecops_bandit_honour_nosec=true")
    honoured.assert_outcomes(passed=2, failed=1, xfailed=1)


def test_bandit_config_in_pyproject_is_honoured_when_allowed(project: pytest.Pytester) -> None:
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.bandit]\nskips = ["B324"]\n')
    result = project.runpytest("--devsecops", "-o", "devsecops_bandit_allow_skips=B324")
    result.assert_outcomes(passed=2, failed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*1 skipped on purpose*"])


def test_hardcoded_passwords_never_reach_the_output(project: pytest.Pytester) -> None:
    (project.path / "app" / "creds.py").write_text('PASSWORD = "Summer2024!"\n')
    result = project.runpytest(
        "--devsecops", "-rx", "-vv", "--devsecops-update-baseline", "--junitxml=out.xml"
    )
    result.stdout.fnmatch_lines(["*B105*"])
    for text in (
        result.stdout.str(),
        (project.path / ".devsecops-baseline.yml").read_text(),
        (project.path / "out.xml").read_text(),
    ):
        assert "Summer2024!" not in text


def test_a_dot_bandit_ini_file_is_honoured_when_allowed(project: pytest.Pytester) -> None:
    (project.path / ".bandit").write_text("[bandit]\nskips = B324\n")
    result = project.runpytest("--devsecops", "-o", "devsecops_bandit_allow_skips=B324")
    result.assert_outcomes(passed=2, failed=1, xfailed=1)
