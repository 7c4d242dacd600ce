"""Security items behave like any pytest test: rerun by node id, --lf/--ff/--sw/--deselect."""

from __future__ import annotations

import pytest

B602 = "devsecops/bandit::B602[app/run.py:6]"
B324 = "devsecops/bandit::B324[app/run.py:10]"


def test_a_printed_node_id_reruns_that_item_and_switches_the_plugin_on(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest("-v", B602)  # no --devsecops: the node id is enough
    result.stdout.fnmatch_lines(["devsecops/bandit::B602[[]app/run.py:6[]] FAILED*"])
    result.assert_outcomes(failed=1)


def test_a_rule_without_brackets_selects_all_its_findings(project: pytest.Pytester) -> None:
    project.runpytest("devsecops/bandit::B324").assert_outcomes(failed=1)
    project.runpytest("devsecops/bandit::status").assert_outcomes(passed=1)


def test_a_scanner_folder_selects_its_items_only(project: pytest.Pytester) -> None:
    result = project.runpytest("-v", "devsecops/bandit")
    result.assert_outcomes(passed=1, failed=2, xfailed=1)  # no test_ordinary.py
    result = project.runpytest("devsecops")
    result.assert_outcomes(passed=1, failed=2, xfailed=1)


def test_node_ids_mix_with_ordinary_arguments(project: pytest.Pytester) -> None:
    result = project.runpytest("test_ordinary.py", B602, B324)
    result.assert_outcomes(passed=1, failed=2)


def test_a_node_id_that_matches_nothing_is_not_found(project: pytest.Pytester) -> None:
    result = project.runpytest("devsecops/bandit::B999[app/run.py:1]")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: not found: devsecops/bandit::B999*"])
    result = project.runpytest("devsecops/nosuch")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown scanner 'nosuch'*"])


def test_a_selected_scanner_is_the_only_one_that_runs(project: pytest.Pytester) -> None:
    project.makeconftest(
        """
        import pytest
        from pytest_devsecops.core.finding import ScanResult

        class Counted:
            name = "counted"
            def scan(self, context):
                raise AssertionError("this scanner must not run")

        def pytest_devsecops_register_scanners(config, registry):
            registry.add(Counted())
        """
    )
    project.runpytest("-o", "devsecops_scanners=bandit counted", B602).assert_outcomes(failed=1)


def test_a_real_folder_named_devsecops_stays_a_folder(project: pytest.Pytester) -> None:
    folder = project.mkpydir("devsecops")
    (folder / "test_real.py").write_text("def test_real():\n    pass\n")
    project.runpytest("devsecops").assert_outcomes(passed=1)


def test_last_failed_reruns_the_security_failures(project: pytest.Pytester) -> None:
    project.runpytest("--devsecops").assert_outcomes(passed=2, failed=2, xfailed=1)
    result = project.runpytest("--lf", "-v")  # no --devsecops: the failures say which scanner
    result.stdout.fnmatch_lines(["*rerun previous 2 failures*"])
    result.assert_outcomes(failed=2, deselected=3)
    result = project.runpytest("--ff", "-v", "--devsecops")
    result.stdout.fnmatch_lines(["*rerun previous 2 failures first*"])
    result.assert_outcomes(passed=2, failed=2, xfailed=1)


def test_last_failed_with_a_failing_ordinary_test_keeps_the_security_failures(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_broken="def test_broken():\n    assert False\n")
    project.runpytest("--devsecops").assert_outcomes(passed=2, failed=3, xfailed=1)
    result = project.runpytest("--lf", "--devsecops")
    result.assert_outcomes(failed=3, deselected=2)
    # Only the passing ordinary file is skipped; the virtual devsecops/bandit file is kept.
    result.stdout.fnmatch_lines(["*rerun previous 3 failures (skipped 1 file)*"])


def test_stepwise_continues_from_the_failing_security_item(project: pytest.Pytester) -> None:
    first = project.runpytest("--sw", "-v", "devsecops/bandit")
    first.assert_outcomes(xfailed=1, failed=1)  # B404 below the gate, then B602 stops it
    second = project.runpytest("--sw", "-v", "devsecops/bandit")
    second.stdout.fnmatch_lines(["*skipping 1 already passed items*"])


def test_deselect_takes_a_security_node_id(project: pytest.Pytester) -> None:
    result = project.runpytest("--devsecops", "--deselect", B602)
    result.assert_outcomes(passed=2, failed=1, xfailed=1, deselected=1)


def test_native_toml_table_takes_typed_values(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        """
        [tool.pytest]
        devsecops = true
        devsecops_scanners = ["bandit"]
        devsecops_paths = ["app"]
        devsecops_timeout = 300
        devsecops_strict_baseline = false
        """
    )
    app = pytester.mkpydir("app")
    (app / "ok.py").write_text("x = 1\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_mistyped_native_toml_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.pytest]\ndevsecops = true\ndevsecops_timeout = "soon"\n')
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*devsecops_timeout*expects a float*"])


def test_an_ini_file_value_of_the_wrong_type_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ndevsecops = true\ndevsecops_dast_max_pages = many\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pytest-devsecops: devsecops_dast_max_pages: *many*"])


def test_the_default_baseline_name_is_the_same_everywhere() -> None:
    from pytest_devsecops import options, settings

    assert options.DEFAULT_BASELINE == settings.DEFAULT_BASELINE


def test_report_options_without_the_plugin_warn(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest("--devsecops-sarif", "out.sarif", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)  # warnings from other in-process runs may add to the count
    result.stdout.fnmatch_lines(
        ["*--devsecops-sarif ignored: pytest-devsecops is not switched on*"]
    )
    assert not (pytester.path / "out.sarif").exists()


def test_entries_without_a_reason_and_runxfail_warn(project: pytest.Pytester) -> None:
    project.runpytest("--devsecops", "--devsecops-update-baseline")
    result = project.runpytest("--devsecops", "--runxfail")
    result.stdout.fnmatch_lines(
        [
            "*3 baseline entries accept findings without a reason*",
            "*--runxfail turns accepted*",
        ]
    )
    result.assert_outcomes(passed=2, failed=3)
    strict = project.runpytest("--devsecops", "-W", "error::pytest_devsecops.DevsecopsWarning")
    assert strict.ret != pytest.ExitCode.OK


def test_junit_failures_name_the_rule_and_severity(project: pytest.Pytester) -> None:
    import xml.etree.ElementTree as ET

    project.runpytest("--devsecops", "--junitxml=junit.xml")
    tree = ET.parse(project.path / "junit.xml")  # noqa: S314 - our own output
    cases = list(tree.iter("testcase"))
    suite = next(tree.iter("testsuite"))
    assert int(suite.get("tests", "0")) == len(cases)
    (b602,) = [c for c in cases if c.get("name") == "B602[app/run.py:6]"]
    assert b602.get("classname") == "devsecops.bandit"
    message = b602.find("failure").get("message", "")  # type: ignore[union-attr]
    assert message.startswith("B602 ")
    assert "severity: high" in message


def test_a_node_id_works_from_a_subfolder_as_printed(project: pytest.Pytester) -> None:
    sub = project.mkdir("sub")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(sub)
        result = project.runpytest("--rootdir", str(project.path), B602)
    result.assert_outcomes(failed=1)
