"""Shared fixtures: a small vulnerable project for pytester runs."""

from __future__ import annotations

import textwrap

# pytester's in-process runs restore sys.modules afterwards; modules first imported inside a
# run are imported afresh by the next one, and requests' cookie jar then fails isinstance
# checks against its earlier copy ("You can only merge into CookieJar"). Importing them here,
# once, keeps one copy for the whole session.
import pip_audit._service  # noqa: F401
import pytest
import requests  # noqa: F401

VULNERABLE_APP = textwrap.dedent(
    """\
    import hashlib
    import subprocess


    def run(command):
        return subprocess.call(command, shell=True)


    def token(user):
        return hashlib.md5(user.encode()).hexdigest()
    """
)

SAFE_TEST = textwrap.dedent(
    """\
    def test_ordinary():
        assert 1 + 1 == 2
    """
)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with two bandit findings at or above medium and one below (B404)."""
    pytester.makepyprojecttoml(
        """
        [tool.pytest.ini_options]
        devsecops_scanners = ["bandit"]
        devsecops_paths = ["app"]
        """
    )
    app = pytester.mkpydir("app")
    (app / "run.py").write_text(VULNERABLE_APP)
    pytester.makepyfile(test_ordinary=SAFE_TEST)
    return pytester


@pytest.fixture
def closed_url() -> str:
    """An http URL on a loopback port that nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"
