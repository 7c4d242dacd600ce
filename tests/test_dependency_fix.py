"""`--devsecops-fix`: exactly the vulnerable pins move, to the smallest clearing version."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from pytest_devsecops.core.finding import Finding, Location
from pytest_devsecops.core.severity import Severity
from pytest_devsecops.scanners.dependencies.fix import targets

ADVISORIES = Path(__file__).resolve().parent.parent / "example_project" / "advisories"

REQUIREMENTS = textwrap.dedent(
    """\
    # Held-out pins: comments, options, markers and continuations must survive.
    --index-url https://pypi.org/simple
    Jinja2 == 2.10  # templating; keep this comment
    requests[socks]==2.19.0 \\
        ; python_version >= "3.8"
    pyyaml==5.1 \\
        --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000
    urllib3==1.26.18
    legacy-lib==1.0
    """
)
PYPROJECT = textwrap.dedent(
    """\
    [project]
    name = "held-out"
    version = "1.0"
    dependencies = [
        "jinja2==2.10",  # old
        "urllib3==1.26.9; python_version >= '3.8'",
    ]
    """
)
PYLOCK = textwrap.dedent(
    """\
    lock-version = "1.0"
    created-by = "hand"

    [[packages]]
    name = "requests"
    version = "2.19.0"

    [[packages]]
    name = "pyyaml"
    version = "5.1"
    wheels = [{ url = "https://example.invalid/pyyaml.whl", hashes = { sha256 = "00" } }]
    """
)
NO_FIX = {
    "id": "PYSEC-0000-1",
    "modified": "2026-01-01T00:00:00Z",
    "summary": "legacy-lib is broken in every version",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "legacy-lib"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
        }
    ],
}


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copytree(ADVISORIES, pytester.path / "advisories")
    (pytester.path / "advisories" / "PYSEC-0000-1.json").write_text(json.dumps(NO_FIX))
    (pytester.path / "requirements.txt").write_text(REQUIREMENTS)
    (pytester.path / "pyproject.toml").write_text(
        PYPROJECT
        + textwrap.dedent(
            """
            [tool.pytest.ini_options]
            devsecops_scanners = ["pip-audit"]
            devsecops_requirements = ["requirements.txt", "pyproject.toml", "pylock.toml"]
            devsecops_osv_db = "advisories"
            devsecops_osv_max_age_days = "off"  # a frozen fixture, not a live feed
            """
        )
    )
    (pytester.path / "pylock.toml").write_text(PYLOCK)
    return pytester


def _files(pytester: pytest.Pytester) -> dict[str, str]:
    names = ("requirements.txt", "pyproject.toml", "pylock.toml")
    return {name: (pytester.path / name).read_text() for name in names}


def test_dry_run_prints_the_diff_and_writes_nothing(project: pytest.Pytester) -> None:
    before = _files(project)
    result = project.runpytest("--devsecops", "--devsecops-fix=dry-run")
    assert _files(project) == before
    result.stdout.fnmatch_lines(
        [
            "--- a/pylock.toml",
            "--- a/pyproject.toml",
            "--- a/requirements.txt",
            "devsecops fix (dry run): 3 file(s) would change",
        ]
    )
    result.stdout.fnmatch_lines_random(
        [
            '-version = "2.19.0"',
            '+version = "2.31.0"',
            '-    "jinja2==2.10",  # old',
            '+    "jinja2==2.11.3",  # old',
            "-    \"urllib3==1.26.9; python_version >= '3.8'\",",
            "+    \"urllib3==1.26.18; python_version >= '3.8'\",",
            "-Jinja2 == 2.10  # templating; keep this comment",
            "+Jinja2 == 2.11.3  # templating; keep this comment",
            "-requests[[]socks[]]==2.19.0 \\",
            "+requests[[]socks[]]==2.31.0 \\",
        ]
    )
    result.stdout.fnmatch_lines_random(
        [
            "devsecops fix: requirements.txt:6 pyyaml==5.1 -> 5.4: hash-pinned, so not rewritten;"
            "*pip-compile --generate-hashes --upgrade-package 'pyyaml==5.4'*",
            "devsecops fix: pylock.toml:* pyyaml==5.1 -> 5.4: the lock entry carries hashes*",
            "devsecops fix: requirements.txt:9 legacy-lib==1.0: no fixed version clears its "
            "advisories; not changed",
        ]
    )


def test_fix_rewrites_exactly_the_vulnerable_pins(project: pytest.Pytester) -> None:
    before = _files(project)
    result = project.runpytest("--devsecops", "--devsecops-fix")
    result.stdout.fnmatch_lines(["devsecops fix: 3 file(s) rewritten; rerun pytest*"])
    after = _files(project)
    expected = before["requirements.txt"].replace("Jinja2 == 2.10 ", "Jinja2 == 2.11.3 ")
    expected = expected.replace("requests[socks]==2.19.0", "requests[socks]==2.31.0")
    assert after["requirements.txt"] == expected
    assert after["pyproject.toml"] == before["pyproject.toml"].replace(
        "jinja2==2.10", "jinja2==2.11.3"
    ).replace("urllib3==1.26.9", "urllib3==1.26.18")
    assert after["pylock.toml"] == before["pylock.toml"].replace('"2.19.0"', '"2.31.0"')
    # The rewritten pins are clean now: only the hash-pinned and unfixable ones still fail.
    rerun = project.runpytest("--devsecops", "-rf")
    failing = [line for line in rerun.outlines if line.startswith("FAILED devsecops/pip-audit::")]
    assert failing
    assert all("pyyaml==5.1" in line or "legacy-lib" in line for line in failing)


def test_environment_audits_have_nothing_to_rewrite(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\ndevsecops_scanners = ["pip-audit"]\n'
        f'devsecops_osv_db = "{ADVISORIES}"\n'
    )
    result = pytester.runpytest("--devsecops", "--devsecops-fix=dry-run")
    result.stdout.fnmatch_lines(["devsecops fix: the environment was audited, not files*"])


def _finding(installed: str, fixed: str, upgrade: str = "") -> Finding:
    details = [("installed", installed), ("fixed in", fixed)]
    if upgrade:
        details.append(("smallest safe upgrade", f"{upgrade} (clears all 2 known advisories)"))
    return Finding(
        "pip-audit", "X", "t", Severity.HIGH, Location("r.txt", 1), "i", details=tuple(details)
    )


def test_online_targets_take_the_highest_first_fix_and_never_more() -> None:
    plan = targets(
        [
            _finding("Django 3.2.0", "3.2.1, 4.0.1"),
            _finding("Django 3.2.0", "3.2.5, 4.0.2"),
            _finding("flask 0.12", "no fixed version published"),
            _finding("flask 0.12", "1.0"),
            _finding("jinja2 2.10", "2.10.1", upgrade="jinja2 2.11.3"),
        ]
    )
    assert plan == {
        ("django", "3.2.0"): "3.2.5",
        ("flask", "0.12"): None,
        ("jinja2", "2.10"): "2.11.3",
    }


def test_a_failed_audit_rewrites_nothing(project: pytest.Pytester) -> None:
    before = _files(project)
    result = project.runpytest("--devsecops", "--devsecops-fix", "-o", "devsecops_osv_db=missing")
    result.stdout.fnmatch_lines(["devsecops fix: the dependency audit failed, so nothing was*"])
    assert _files(project) == before
