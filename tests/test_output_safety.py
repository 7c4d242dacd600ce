"""Secrets are masked and control characters escaped in every output, for every scanner."""

from __future__ import annotations

import hashlib
import json
import textwrap
import time
import xml.etree.ElementTree as ET

import pytest

from pytest_devsecops.core import sanitise
from pytest_devsecops.core.finding import Finding, Location, ScanResult
from pytest_devsecops.core.fingerprint import assign, normalise_code
from pytest_devsecops.core.redact import excerpt, json_safe, printable, redact
from pytest_devsecops.core.severity import Severity

PASSWORD = "Summer2024!"  # a guessable, low-entropy password


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('requests.get(url, auth=("deploy", "Summer2024!"), verify=False)', PASSWORD),
        ('os.system("curl -u admin:Summer2024! https://host/")', PASSWORD),
        ('os.system("curl --user admin:Summer2024! https://host/")', PASSWORD),
        ('engine = create_engine("postgresql://app:Summer2024!@db/app")', PASSWORD),
        ('HTTPBasicAuth("deploy", "Summer 2024")', "Summer 2024"),
        ('headers = {"Authorization": "Bearer abcDEF123456ghiJKL"}', "abcDEF123456ghiJKL"),
        ("DB_PASSWORD=Summer2024!", PASSWORD),
        ("client_secret: 'Summer2024!'", PASSWORD),
        ("connect(password='Summer2024!')", PASSWORD),
        ("key = 'AKIAIOSFODNN7EXAMPLE'", "AKIAIOSFODNN7EXAMPLE"),
        ("t = 'ghp_" + "a1B2" * 9 + "'", "ghp_" + "a1B2" * 9),
        ("x = 'xoxb-123456789012-abcdefghij'", "xoxb-123456789012-abcdefghij"),
        ("jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig'", "eyJhbGciOiJIUzI1NiJ9"),
        ("blob = 'q8Z3kLp0vN7wRt2YhB5mXc9JdF4sGa1E'", "q8Z3kLp0vN7wRt2YhB5mXc9JdF4sGa1E"),
    ],
)
def test_credentials_of_every_kind_are_masked(line: str, secret: str) -> None:
    assert secret not in redact(line)


@pytest.mark.parametrize(
    "text",
    [
        "subprocess.call(command, shell=True)",
        "https://osv.dev/vulnerability/GHSA-test-0001-aaaa",
        "pytest_devsecops/scanners/dependencies/osv_db.py:14",
        "tokens = tokenize(source)",
        "requests.get(url, auth=auth, timeout=5)",
        "fingerprint: 0123456789abcdef01234567",
        "class HTTPSConnectionPoolManager2:",
    ],
)
def test_ordinary_code_and_links_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_a_baseline_fingerprint_cannot_confirm_a_guessed_password() -> None:
    line = 'requests.get(url, auth=("deploy", "Summer2024!"), verify=False)'
    found = Finding("bandit", "B501", "t", Severity.HIGH, Location("a.py", 3), f"a.py\x1f{line}")
    (stored,) = assign([sanitise.finding(found)])
    for guess in ("Summer2024!", "Winter2023!"):
        guessed = line.replace("Summer2024!", guess)
        (attempt,) = assign([dataclass_with_identity(found, f"a.py\x1f{guessed}")])
        assert attempt.fingerprint != stored.fingerprint
    assert PASSWORD not in stored.identity
    assert hashlib.sha256(line.encode()).hexdigest()[:24] != stored.fingerprint


def dataclass_with_identity(found: Finding, identity: str) -> Finding:
    import dataclasses

    return dataclasses.replace(found, identity=normalise_code(identity))


@pytest.mark.parametrize(
    "hostile",
    [
        "a\x1b[2Jb",
        "a\x1b]8;;https://evil/\x1b\\click\x1b]8;;\x1b\\",
        "x\n1 passed, 0 failed",
        "x\r\u2028y",
        "app/\u202egnp.py",
        "a\u2066b\u200bc\ufeff",
        "a\x9b31mred",
    ],
)
def test_printable_leaves_no_control_bidi_or_line_character(hostile: str) -> None:
    shown = printable(hostile)
    assert shown.isprintable()
    assert "\\" in shown


def test_json_reports_stay_valid_and_escape_bidi_and_c1() -> None:
    rendered = json_safe(json.dumps({"k": "a\u202eb\x9bc\u2028"}, ensure_ascii=False))
    assert rendered.isascii()
    assert json.loads(rendered) == {"k": "a\u202eb\x9bc\u2028"}


def test_an_unparseable_line_is_shown_as_a_short_redacted_excerpt() -> None:
    shown = excerpt("password=Summer2024! " + "x" * 500)
    assert PASSWORD not in shown
    assert len(shown) <= 63


def test_redaction_is_fast_on_adversarial_long_lines() -> None:
    adversarial = [
        "password=" * 20000,
        'auth=("' * 20000,
        "a" * 170_000,
        "-----BEGIN RSA PRIVATE KEY-----" * 5000,
        "https://" + "a:" * 80000,
        "aB3" * 60000,
        ("x" + " " * 440 + "=" + " " * 440 + "(") * 200,
    ]
    for text in adversarial:
        started = time.monotonic()
        redact(text)
        # Every redaction rule together (about 25): each one is well under this.
        assert time.monotonic() - started < 2.0, text[:20]


def test_every_scanner_result_is_cleaned_in_one_step() -> None:
    found = Finding(
        scanner="custom",
        rule="R1\x1b[31m",
        title="token=Summer2024!",
        severity=Severity.HIGH,
        location=Location("evil\n1 passed.py", 1, url="http://u:Summer2024!@127.0.0.1/"),
        identity="x",
        snippet="password = 'Summer2024!'\nnext line",
        details=(("evidence", "Authorization: Basic c2VjcmV0OlN1bW1lcjIwMjQh"),),
    )
    result = sanitise.result(ScanResult("custom", "tool\x1b]8;;x", "1", (found,), error="e\x1b[2J"))
    dumped = json.dumps(result.to_dict(), ensure_ascii=False)
    assert PASSWORD not in dumped
    assert "c2VjcmV0OlN1bW1lcjIwMjQh" not in dumped
    assert "\x1b" not in dumped
    (cleaned,) = result.findings
    assert "\n" not in cleaned.location.path
    assert cleaned.snippet.count("\n") == 1  # a snippet keeps its lines, escaped within


LEAKY_APP = textwrap.dedent(
    """\
    import os
    import requests


    def deploy(url):
        requests.get(url, auth=("deploy", "Summer2024!"), verify=False)
        os.system("curl -u admin:Summer2024! " + url)
    """
)


def test_no_secret_from_a_flagged_line_reaches_terminal_or_junit(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        devsecops_scanners = ["bandit"]
        devsecops_paths = ["app"]
        """
    )
    app = pytester.mkpydir("app")
    (app / "deploy.py").write_text(LEAKY_APP)
    (app / "evil\u202e\x1b[2J.py").write_text(
        "import subprocess\nsubprocess.call('x', shell=True)\n"
    )
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest(
        "--devsecops", "-vv", "-rA", f"--junitxml={junit}", "--devsecops-json=r.json"
    )
    output = result.stdout.str() + result.stderr.str()
    assert "B501" in output
    assert "B605" in output
    for produced in (output, junit.read_text(), (pytester.path / "r.json").read_text()):
        assert PASSWORD not in produced
        assert "\x1b" not in produced
        assert "\u202e" not in produced
    ET.fromstring(junit.read_bytes())  # noqa: S314 - our own JUnit file, checked to be valid XML


def test_hostile_baseline_fields_reach_the_terminal_escaped(project: pytest.Pytester) -> None:
    first = project.runpytest("--devsecops", "--devsecops-update-baseline")
    assert first.ret == pytest.ExitCode.OK
    baseline = project.path / ".devsecops-baseline.yml"
    text = baseline.read_text()
    text = text.replace('reason: ""', 'reason: "ok\\e[2J\\e]8;;https://evil/\\e\\\\x\\nFORGED"', 1)
    text = text.replace('owner: ""', 'owner: "me\\u202e"', 1)
    text += (
        '  - fingerprint: "000000000000000000000000"\n'
        "    scanner: bandit\n"
        '    rule: "B999\\e[31m"\n'
        '    path: "app/gone\\n1 passed.py"\n'
        '    title: "t"\n'
        "    severity: high\n"
    )
    baseline.write_text(text)
    result = project.runpytest("--devsecops", "-v", "-rA")
    output = result.stdout.str()
    assert "stale" in output
    assert "\x1b" not in output
    assert "\u202e" not in output
    assert not any(line.startswith("FORGED") for line in output.splitlines())
    assert not any(line.startswith("1 passed.py") for line in output.splitlines())
