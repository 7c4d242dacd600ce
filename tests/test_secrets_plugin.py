"""The secrets scanner as items: never shows a secret, baselines without one, history, no trivy."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from pytest_devsecops.scanners.tools import ToolLookup, find_tool

pytestmark = pytest.mark.skipif(not find_tool("trivy").found, reason="trivy is not installed")

GITHUB = "ghp_R8mZ2qLw5TxK9vN3pB7cY1dF6hJ4sA0eGu2K"
ROTATED = "ghp_Z1xY2wV3uT4sR5qP6oN7mL8kJ9iH0gF1eD2c"
PASSWORD = "Harbor-Lantern-2718"
SECRETS = (GITHUB, ROTATED, PASSWORD)
GIT = str(find_tool("git").path)


@pytest.fixture
def secrets_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        devsecops_scanners = ["secrets"]
        devsecops_paths = ["app"]
        """
    )
    app = pytester.mkdir("app")
    (app / "config.py").write_text(f'RELEASES = "{GITHUB}"\n')
    (app / "db.ini").write_text(f"[db]\npassword = {PASSWORD}\n")
    return pytester


def _leaks(text: str) -> list[str]:
    """Any secret, or a plain SHA-1/SHA-256 of one, found in `text`."""
    found = []
    for value in SECRETS:
        encoded = value.encode()
        for needle in (
            value,
            hashlib.sha1(encoded).hexdigest(),  # noqa: S324 - what detect-secrets would store
            hashlib.sha256(encoded).hexdigest(),
        ):
            if needle in text or needle[:16] in text:
                found.append(needle[:6])
    return found


def test_no_output_shows_a_secret_and_the_baseline_holds_none(
    secrets_project: pytest.Pytester,
) -> None:
    path = secrets_project.path
    reports = ["--junitxml=junit.xml", "--devsecops-json=out.json", "--devsecops-sarif=out.sarif"]
    first = secrets_project.runpytest(
        "--devsecops", "-p", "no:cacheprovider", "-rA", "-v", *reports
    )
    first.assert_outcomes(passed=1, failed=2)
    first.stdout.fnmatch_lines_random(
        [
            "FAILED devsecops/secrets::github-pat[[]app/config.py:1[]]*",
            "FAILED devsecops/secrets::generic-secret[[]app/db.ini:2[]]*",
            '    1 | RELEASES = "ghp_…(40 chars)"',
            "    2 | password = …(19 chars)",
        ]
    )
    sarif = json.loads((path / "out.sarif").read_text())
    snippets = [
        r["locations"][0]["physicalLocation"]["region"].get("snippet", {})
        for r in sarif["runs"][0]["results"]
    ]
    assert {"text": 'RELEASES = "ghp_…(40 chars)"'} in snippets
    outputs = {
        "terminal": first.stdout.str() + first.stderr.str(),
        "junit": (path / "junit.xml").read_text(),
        "json": (path / "out.json").read_text(),
        "sarif": (path / "out.sarif").read_text(),
    }
    accept = secrets_project.runpytest(
        "--devsecops", "-p", "no:cacheprovider", "--devsecops-update-baseline"
    )
    outputs["baseline"] = (path / ".devsecops-baseline.yml").read_text()
    outputs["update run"] = accept.stdout.str()
    assert {name: _leaks(text) for name, text in outputs.items()} == {name: [] for name in outputs}
    assert "github-pat" in outputs["baseline"]

    again = secrets_project.runpytest("--devsecops", "-p", "no:cacheprovider")
    again.assert_outcomes(passed=1, xfailed=2)
    assert again.ret == 0

    # The key is rotated into the code again on the accepted line: a new finding.
    (path / "app" / "config.py").write_text(f'RELEASES = "{ROTATED}"\n')
    rotated = secrets_project.runpytest("--devsecops", "-p", "no:cacheprovider")
    rotated.assert_outcomes(passed=1, xfailed=1, failed=2)  # the new key, and the stale entry
    rotated.stdout.fnmatch_lines(["FAILED devsecops/secrets::github-pat[[]app/config.py:1[]]*"])
    assert _leaks(rotated.stdout.str()) == []


def _git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "HOME": str(cwd), "PATH": "/usr/bin:/bin"}  # fmt: skip
    done = subprocess.run(
        [GIT, "-C", str(cwd), *args], check=True, capture_output=True, text=True, env=env
    )
    return done.stdout.strip()


@pytest.fixture
def history_project(secrets_project: pytest.Pytester) -> pytest.Pytester:
    path = secrets_project.path
    (path / "app" / "config.py").write_text("RELEASES = None\n")
    (path / "app" / "db.ini").unlink()
    _git(path, "init", "-q", "-b", "main")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "start")
    (path / "app" / "config.py").write_text(f'RELEASES = None\nTOKEN = "{GITHUB}"\n')
    _git(path, "commit", "-q", "-am", "add a token")
    (path / "app" / "config.py").write_text("RELEASES = None\n")
    _git(path, "commit", "-q", "-am", "remove the token")
    return secrets_project


def test_a_deleted_secret_is_found_in_the_history(history_project: pytest.Pytester) -> None:
    added = _git(history_project.path, "rev-parse", "--short=7", "HEAD~1")
    plain = history_project.runpytest("--devsecops", "-p", "no:cacheprovider")
    plain.assert_outcomes(passed=1)
    result = history_project.runpytest(
        "--devsecops", "-p", "no:cacheprovider", "-o", "devsecops_secrets_history=HEAD~2"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "github-pat GitHub personal access token: ghp_…(40 chars) still in history: rotate it",
            f"  commit: {added}",
            f"FAILED devsecops/secrets::github-pat[[]app/config.py@{added}:2[]]*",
        ]
    )
    assert _leaks(result.stdout.str()) == []


def test_an_unknown_history_ref_fails_the_status(history_project: pytest.Pytester) -> None:
    result = history_project.runpytest(
        "--devsecops", "-p", "no:cacheprovider", "-o", "devsecops_secrets_history=origin/nowhere"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*the history ref 'origin/nowhere' does not exist*", "*fetch-depth: 0*"]
    )


def test_a_shallow_clone_without_the_ref_fails_with_the_fix(
    history_project: pytest.Pytester, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", "--depth", "1", f"file://{history_project.path}", str(clone))
    result = history_project.runpytest(
        "--devsecops", "-p", "no:cacheprovider", f"--rootdir={clone}", "-c", str(clone / "pyproject.toml"),
        "-o", "devsecops_secrets_history=HEAD~2",
    )  # fmt: skip
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*does not exist in this shallow clone*", "*fetch-depth: 0*"])


def test_a_named_scanner_without_trivy_fails_with_the_install_line(
    secrets_project: pytest.Pytester,
) -> None:
    result = secrets_project.runpytest(
        "--devsecops", "-p", "no:cacheprovider", "-o", "devsecops_trivy=/nonexistent/trivy"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the configured trivy /nonexistent/trivy is not a file*",
            '*pip install "pytest-devsecops[[]trivy[]]"*',
        ]
    )


def test_the_default_scanner_set_without_trivy_skips_visibly(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_devsecops.scanners.secrets import scanner

    # A stand-in for a machine without trivy (ours is installed beside this interpreter).
    def no_trivy(name: str, configured: object = None) -> ToolLookup:
        return (
            ToolLookup(name, None, f"{name} was not found") if name == "trivy" else find_tool(name)
        )

    monkeypatch.setattr(scanner, "find_tool", no_trivy)
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        devsecops_paths = ["app"]
        devsecops_requirements = ["requirements.txt"]
        """
    )
    pytester.mkdir("app")
    (pytester.path / "app" / "config.py").write_text(f'RELEASES = "{GITHUB}"\n')
    (pytester.path / "requirements.txt").write_text("")
    result = pytester.runpytest(
        "--devsecops", "-p", "no:cacheprovider", "-rs", "--devsecops-json=out.json"
    )
    result.stdout.fnmatch_lines_random(
        [
            "SKIPPED * secrets did not run: trivy was not found; to run it: pip install *pytest-devsecops[[]trivy[]]*",
            "trivy: SKIPPED, trivy was not found; to run it: pip install *",
        ]
    )
    assert "PASSED devsecops/secrets::status" not in result.stdout.str()
    report = json.loads((pytester.path / "out.json").read_text())
    secrets = next(s for s in report["scanners"] if s["name"] == "secrets")
    assert secrets["status"] == "skipped"
    assert secrets["error"].startswith("trivy was not found; to run it: pip install")


def test_the_baseline_and_reports_do_not_become_findings_themselves(
    pytester: pytest.Pytester,
) -> None:
    # Our own files show masked forms (`ghp_…(40 chars)`): after an update the rerun must pass,
    # not report the baseline's titles as new secrets.
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ndevsecops_scanners = ["secrets"]\n')
    (pytester.path / ".env").write_text("GITHUB_TOKEN=ghp_R4nD0mT0k3nV4lu3F0rT3st1ng00aaBBccDD\n")
    (pytester.path / "settings.py").write_text('DATABASE_PASSWORD = "Tr0ub4dor-Harbor-9931"\n')
    pytester.runpytest("--devsecops", "--devsecops-update-baseline", "--devsecops-json=r.json")
    again = pytester.runpytest("--devsecops", "--devsecops-json=r.json")
    assert again.ret == pytest.ExitCode.OK, again.stdout.str()
