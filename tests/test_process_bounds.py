"""Child processes: the timeout covers reading, runaway output is capped, nothing is left running."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytest_devsecops.scanners import process

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers signal 0; its state in /proc says it is gone.
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ")[1][0] != "Z"


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def test_a_grandchild_holding_the_pipe_does_not_outlive_the_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    code = f"""
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        open({str(pid_file)!r}, "w").write(str(child.pid))
        print("done", flush=True)
    """
    started = time.monotonic()
    outcome = process.run(python(code), timeout=30)
    took = time.monotonic() - started
    assert took < process.EXIT_GRACE + 5
    assert outcome.returncode == 0
    assert outcome.stdout.strip() == "done"
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild)


def test_dripping_output_cannot_stretch_the_timeout() -> None:
    code = """
        import sys, time
        while True:
            sys.stdout.write("x"); sys.stdout.flush(); time.sleep(0.05)
    """
    started = time.monotonic()
    outcome = process.run(python(code), timeout=1.5)
    assert outcome.timed_out
    assert outcome.returncode is None
    assert time.monotonic() - started < 5
    assert "x" in outcome.stdout


def test_an_escaped_grandchild_cannot_hold_us_past_the_timeout() -> None:
    # The grandchild leaves our process group (setsid) and keeps the pipe: we close our end.
    code = """
        import os, subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
        import time; time.sleep(60)
    """
    started = time.monotonic()
    outcome = process.run(python(code), timeout=1.0)
    assert outcome.timed_out
    assert time.monotonic() - started < 8


def test_runaway_output_is_capped_and_said_so() -> None:
    code = """
        import sys
        while True:
            sys.stdout.write("y" * 65536)
    """
    outcome = process.run(python(code), timeout=30, max_output=1_000_000)
    assert outcome.output_capped
    assert len(outcome.stdout) == 1_000_000


def test_the_old_signature_still_works() -> None:
    outcome = process.run([sys.executable, "-c", "print('hi')"], 10, None)
    assert (outcome.returncode, outcome.stdout.strip(), outcome.timed_out) == (0, "hi", False)


LAUNCHERS = [
    pytest.param("setpriv", id="setpriv"),
    pytest.param("python", id="python-launcher"),
]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_children_die_with_their_parent(tmp_path: Path, launcher: str) -> None:
    from pytest_devsecops.core import lifetime

    if launcher == "setpriv" and lifetime.SETPRIV is None:
        pytest.skip("util-linux's setpriv is not installed here")
    pid_file = tmp_path / "child.pid"
    # A parent (standing in for pytest) starts a tool through process.run, then is SIGKILLed.
    parent = f"""
        import sys, threading
        from pytest_devsecops.core import lifetime
        from pytest_devsecops.scanners import process
        if {launcher!r} == "python":
            lifetime.SETPRIV = None
        code = "import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(300)"
        process.run([sys.executable, "-c", code], timeout=300)
    """
    import subprocess

    runner = subprocess.Popen(python(parent))
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child = int(pid_file.read_text())
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_starting_a_child_runs_no_python_between_fork_and_exec(launcher: str) -> None:
    """A fork that runs at-fork handlers races with threads registering them (concurrent.futures
    does on first use) and released a lock a ThreadPoolExecutor held. Our children never do."""
    parent = f"""
        import os, sys
        from pytest_devsecops.core import lifetime
        from pytest_devsecops.scanners import process
        if {launcher!r} == "python":
            lifetime.SETPRIV = None
        forks = []
        os.register_at_fork(before=lambda: forks.append("before"))
        outcome = process.run([sys.executable, "-c", "print('ran')"], timeout=30)
        assert outcome.stdout.strip() == "ran", outcome
        print(len(forks))
    """
    import subprocess

    done = subprocess.run(python(parent), capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"


@pytest.fixture(params=LAUNCHERS)
def launcher_here(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Children of this process start through setpriv, or through the Python launcher."""
    from pytest_devsecops.core import lifetime

    if request.param == "python":
        monkeypatch.setattr(lifetime, "SETPRIV", None)
    return str(request.param)


@pytest.mark.usefixtures("launcher_here")
def test_a_missing_tool_is_still_a_start_error(tmp_path: Path) -> None:
    missing = process.run(["devsecops-no-such-tool"], timeout=10)
    assert missing.returncode is None
    assert "No such file or directory: 'devsecops-no-such-tool'" in missing.start_error
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\necho hi\n")
    refused = process.run([str(script)], timeout=10)
    assert refused.returncode is None
    assert "Permission denied" in refused.start_error
    script.chmod(0o755)
    ran = process.run([str(script)], timeout=10)
    assert (ran.returncode, ran.stdout.strip(), ran.argv) == (0, "hi", (str(script),))


@pytest.mark.usefixtures("launcher_here")
def test_a_program_the_kernel_cannot_run_is_a_start_error(tmp_path: Path) -> None:
    no_shebang = tmp_path / "no-shebang"
    no_shebang.write_text("echo ran through a shell\n")  # execvp would hand it to /bin/sh
    lost_interpreter = tmp_path / "lost-interpreter"
    lost_interpreter.write_text("#!/nonexistent/venv/bin/python\nprint('hi')\n")
    for script in (no_shebang, lost_interpreter):
        script.chmod(0o755)
    refused = process.run([str(no_shebang)], timeout=10)
    assert (refused.returncode, refused.stdout) == (None, "")
    assert "Exec format error" in refused.start_error
    lost = process.run([str(lost_interpreter)], timeout=10)
    assert lost.returncode is None
    assert "failed to execute" in lost.start_error, lost
    assert "No such file or directory" in lost.start_error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_setpriv_without_pdeathsig_gives_way_to_the_python_launcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_devsecops.core import lifetime

    old = tmp_path / "setpriv"  # util-linux 2.32 (RHEL 8): no --pdeathsig
    old.write_text("#!/bin/sh\necho 'Usage: setpriv [options] <program>'\necho ' --reset-env'\n")
    old.chmod(0o755)
    monkeypatch.setattr(lifetime, "SETPRIV", str(old))
    assert lifetime.dies_with_us([sys.executable, "-c", "pass"])[0] == sys.executable
    outcome = process.run([sys.executable, "-c", "print('ran')"], timeout=30)
    assert (outcome.returncode, outcome.stdout.strip()) == (0, "ran")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the launchers are Linux's")
def test_relative_path_folders_are_searched_from_the_childs_folder(tmp_path: Path) -> None:
    from pytest_devsecops.core import lifetime

    app = tmp_path / "app"
    (app / "bin").mkdir(parents=True)
    serve = app / "bin" / "serve"
    serve.write_text("#!/bin/sh\necho served\n")
    serve.chmod(0o755)
    # As Popen: PATH's relative folders count from the child's cwd, not from ours.
    argv = lifetime.dies_with_us(["serve"], {"PATH": "bin"}, cwd=app)
    assert str(serve) in argv
    with pytest.raises(FileNotFoundError):
        lifetime.dies_with_us(["serve"], {"PATH": "bin"}, cwd=tmp_path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the launchers are Linux's")
def test_a_path_through_a_link_and_dot_dot_runs_what_popen_would(tmp_path: Path) -> None:
    import subprocess

    from pytest_devsecops.core import lifetime

    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "link").symlink_to(tmp_path / "real" / "sub")
    for folder, said in ((tmp_path / "real", "through-the-link"), (tmp_path / "work", "textual")):
        prog = folder / "prog"
        prog.write_text(f"#!/bin/sh\necho {said}\n")
        prog.chmod(0o755)
    argv = ["link/../prog"]
    cwd = tmp_path / "work"
    popen = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True)
    wrapped = lifetime.dies_with_us(argv, cwd=cwd)
    ours = subprocess.run(wrapped, cwd=cwd, capture_output=True, text=True, check=True)
    assert ours.stdout == popen.stdout == "through-the-link\n"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the launchers are Linux's")
def test_the_python_launcher_passes_the_environment_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_devsecops.core import lifetime

    monkeypatch.setattr(lifetime, "SETPRIV", None)
    path = os.environ.get("PATH", "")
    # C locales: Python, starting the launcher, would coerce them to C.UTF-8.
    for env in ({"PATH": path, "LANG": "C"}, {"PATH": path, "LC_CTYPE": "C"}):
        outcome = process.run(["env"], timeout=30, env=env)  # not Python: it would coerce too
        assert sorted(outcome.stdout.splitlines()) == sorted(f"{k}={v}" for k, v in env.items())


def test_a_dripping_advisory_service_cannot_stretch_the_audit() -> None:
    import socket
    import threading

    from pytest_devsecops.core.severity import Severity
    from pytest_devsecops.scanners.dependencies import audit
    from pytest_devsecops.scanners.dependencies.model import Dependency

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    stop = threading.Event()

    def drip() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            try:
                while not stop.is_set():  # a header byte every 0.2 s, never silent for 1 s
                    connection.sendall(b"X")
                    time.sleep(0.2)
            except OSError:
                pass
            connection.close()

    threading.Thread(target=drip, daemon=True).start()
    dependencies = [Dependency("requests", "2.0.0", "requirements.txt", 1)] * 3
    started = time.monotonic()
    try:
        outcome = audit.online(
            dependencies,
            "osv",
            1.0,
            Severity.MEDIUM,
            osv_url=f"http://127.0.0.1:{port}/v1/query",
            budget=30,
        )
    finally:
        stop.set()
        server.close()
    assert time.monotonic() - started < 10
    assert outcome.audited == ()
    assert len(outcome.gaps) == 3
    assert "no complete answer within 2s" in outcome.gaps[0].reason


def test_in_process_work_over_its_budget_fails_the_status_item(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_devsecops import runner
    from pytest_devsecops.core.finding import ScanResult
    from pytest_devsecops.scanners.interface import ScanContext

    class Slow:
        name = "slow"

        def scan(self, context: ScanContext) -> ScanResult:
            time.sleep(0.3)
            return ScanResult("slow", "slow tool", "1")

    monkeypatch.setattr(runner, "BUDGET_GRACE", 0.0)
    context = ScanContext(tmp_path, (tmp_path,), (), 0.1, tmp_path)
    (result,) = runner.run_scanners([Slow()], context).results
    assert "over its 0.1s budget" in result.error
    within = ScanContext(tmp_path, (tmp_path,), (), 30, tmp_path)
    assert runner.run_scanners([Slow()], within).results[0].error == ""
