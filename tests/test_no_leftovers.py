"""No process we started survives pytest: SIGTERM unwinds teardown, SIGKILL leaves a watchdog."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX groups, /proc")

# The app under test: serves HTTP on the port it is given, and starts a grandchild of its own.
APP = textwrap.dedent(
    """\
    import http.server, os, subprocess, sys
    folder = sys.argv[2]
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    open(os.path.join(folder, "pids"), "w").write(f"{os.getpid()} {helper.pid}")
    http.server.test(http.server.SimpleHTTPRequestHandler, port=int(sys.argv[1]), bind="127.0.0.1")
    """
)

TEST = textwrap.dedent(
    """\
    import sys, time
    from pytest_devsecops.dast.app import run_command

    def test_uses_the_app():
        command = f"{sys.executable} {APP} {{port}} {FOLDER}"
        with run_command(command, timeout=20):
            time.sleep(300)
    """
)


def gone(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(") ")[1][0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def wait_gone(pids: list[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(gone(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_the_app_and_its_children_die_with_pytest(tmp_path: Path, how: signal.Signals) -> None:
    (tmp_path / "app.py").write_text(APP)
    test_file = tmp_path / "test_app.py"
    test_file.write_text(
        TEST.replace("{APP}", str(tmp_path / "app.py")).replace("{FOLDER}", str(tmp_path))
    )
    pytest_run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        pids_file = tmp_path / "pids"
        while not (pids_file.exists() and pids_file.read_text()):
            assert time.monotonic() < deadline, "the app never started"
            time.sleep(0.1)
        pids = [int(pid) for pid in pids_file.read_text().split()]
        time.sleep(0.5)  # let run_command see the app answer and enter the test
        pytest_run.send_signal(how)
        pytest_run.wait(timeout=30)
        assert wait_gone(pids), f"left running after {how.name}: {pids}"
    finally:
        if pytest_run.poll() is None:
            pytest_run.kill()
            pytest_run.wait()
        for pid in (
            [int(p) for p in (tmp_path / "pids").read_text().split()]
            if (tmp_path / "pids").exists()
            else []
        ):
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_zap_api_key_is_not_on_the_command_line() -> None:
    from pytest_devsecops.dast.zap.launcher import launched

    daemon = Path(__file__).parent / "standins" / "zap_daemon.py"
    with launched(f"{sys.executable} {daemon}", timeout=30) as client:
        key = client._key
        ours = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    argv = (entry / "cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if str(daemon).encode() in argv:
                    ours.append(argv)
        assert ours, "the stand-in daemon was not found"
        for argv in ours:
            assert not any(key.encode() in part for part in argv)
            settings = Path(argv[argv.index(b"-configfile") + 1].decode())
            assert settings.stat().st_mode & 0o777 == 0o600
            assert settings.parent.stat().st_mode & 0o777 == 0o700
    assert not settings.exists()


ZAP_TEST = textwrap.dedent(
    """\
    import sys, time
    from pytest_devsecops.dast.zap.launcher import launched

    def test_uses_zap():
        with launched(f"{sys.executable} {DAEMON} -marker {FOLDER}", timeout=30):
            open(f"{FOLDER}/ready", "w").write("1")
            time.sleep(300)
    """
)


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if marker.encode() in argv and not gone(int(entry.name)):
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_launched_zap_dies_with_pytest(tmp_path: Path, how: signal.Signals) -> None:
    daemon = Path(__file__).parent / "standins" / "zap_daemon.py"
    test_file = tmp_path / "test_zap.py"
    test_file.write_text(
        ZAP_TEST.replace("{DAEMON}", str(daemon)).replace("{FOLDER}", str(tmp_path))
    )
    pytest_run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "ready").exists():
            assert time.monotonic() < deadline, "ZAP never became ready"
            time.sleep(0.1)
        zap = processes_with(str(tmp_path))
        assert zap
        pytest_run.send_signal(how)
        pytest_run.wait(timeout=30)
        assert wait_gone(zap), f"ZAP left running after {how.name}"
    finally:
        if pytest_run.poll() is None:
            pytest_run.kill()
            pytest_run.wait()
        for pid in processes_with(str(tmp_path)):
            os.kill(pid, signal.SIGKILL)
