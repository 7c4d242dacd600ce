"""Benchmark: SAST of Django 5.2.8's source, ours beside raw `bandit -r -f json`, in one run.

Run by hand (not part of the test suite):

    python benchmarks/bandit_benchmark.py [--django PATH/TO/django] [--runs 5] [--python PY]

Without --django it fetches the sources the way the README's users would:
`pip download --no-deps django==5.2.8`, then unzips the wheel. Without --python it installs
pytest-devsecops the way a new user does, into a fresh virtualenv (`pip install .`, no test
extras: a developer's environment carries more pytest plugins, and pytest's own start-up grows
with them), and runs both ours and raw bandit from it. It times, alternating run by run:
  * raw bandit: `python -m bandit -r -q -f json -o out.json django`;
  * ours, cold: `pytest --devsecops --cache-clear` (no cached results: every file scanned);
  * ours, warm: `pytest --devsecops` with every file unchanged since the last run (3 a round);
  * ours, one file changed: the same after appending a new `eval()` call to one file;
  * installed but off: a one-test suite with `pytest` against `pytest -p no:devsecops`.
Every run of ours writes a JSON report whose (path, line, rule) set is compared with raw
bandit's; a mismatch stops the benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

PYPROJECT = """\
[tool.pytest.ini_options]
testpaths = ["tests"]
devsecops_scanners = ["bandit"]
devsecops_paths = ["django"]
devsecops_fail_on = "critical"
"""
CHANGED_FILE = "django/utils/text.py"


def new_user_python(where: Path) -> str:
    """A fresh virtualenv with this checkout installed as a user installs a release."""
    repo = Path(__file__).resolve().parent.parent
    source = where / "source"
    # A copy: installing from the checkout itself would leave setuptools' build/ folder there.
    shutil.copytree(
        repo,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", ".pytest_cache", "tests", "benchmarks",
            "example_project", "__pycache__",
        ),
    )  # fmt: skip
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", str(source)], check=True)
    return python


def fetch_django(where: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "django==5.2.8", "-d", where],
        check=True,
    )
    (wheel,) = where.glob("[Dd]jango-5.2.8-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(where / "src")
    return where / "src" / "django"


CPU: dict[str, list[float]] = {}
# As on a developer's machine, Python may cache bytecode: with PYTHONDONTWRITEBYTECODE set (as in
# some CI images) every run of ours would compile our editable package from source again, while
# bandit's site-packages were compiled by pip at install time.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str], cwd: Path, label: str = "") -> float:
    """Wall time of one run; its CPU time (user + system, children included) goes to CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, env=ENV)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    CPU.setdefault(label, []).append(cpu)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout[-3000:]}")
    return elapsed


def raw_findings(report: Path) -> set[tuple[str, int, str]]:
    data = json.loads(report.read_text())
    root = str(report.parent) + "/"
    return {
        (r["filename"].removeprefix("./").removeprefix(root), r["line_number"], r["test_id"])
        for r in data["results"]
    }


def our_findings(report: Path) -> set[tuple[str, int, str]]:
    data = json.loads(report.read_text())
    found = {
        (f["location"]["path"], f["location"]["line"], f["rule"])
        for f in data["findings"]
        if f["scanner"] == "bandit"
    }
    (scanner,) = data["scanners"]
    if scanner["status"] != "complete":
        raise SystemExit(f"our scan was not complete: {scanner}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--django", type=Path, help="an unpacked django/ package folder")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", help="an interpreter with pytest-devsecops installed")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bandit-bench-"))
    source = args.django or fetch_django(work / "download")
    py = args.python or new_user_python(work)
    project = work / "project"
    shutil.copytree(source, project / "django")
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "tests").mkdir()
    (project / "tests" / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    files = sum(1 for _ in (project / "django").rglob("*.py"))
    lines = sum(len(p.read_bytes().splitlines()) for p in (project / "django").rglob("*.py"))

    raw_json = project / "raw.json"
    ours_json = project / "ours.json"
    raw_argv = [py, "-m", "bandit", "-r", "-q", "-f", "json", "-o", str(raw_json), "django"]
    ours_argv = [py, "-m", "pytest", "-q", "-p", "no:randomly", "--devsecops"]
    ours_argv += [f"--devsecops-json={ours_json}"]
    times: dict[str, list[float]] = {name: [] for name in ("raw", "cold", "warm", "changed")}
    expected: set[tuple[str, int, str]] = set()
    changes = 0

    def change_one_file() -> None:
        nonlocal changes
        changes += 1
        path = project / CHANGED_FILE
        path.write_text(path.read_text() + f"\n\ndef bench_{changes}(x):\n    return eval(x)\n")

    def check(mode: str) -> None:
        found = our_findings(ours_json)
        if found != expected:
            only_ours, only_raw = sorted(found - expected)[:5], sorted(expected - found)[:5]
            raise SystemExit(f"{mode}: findings differ; only ours {only_ours}, only raw {only_raw}")

    # A warm run is short and noisy: three per round (each one measured and checked).
    modes: list[tuple[str, Callable[[], None], list[str]]] = [
        ("cold", lambda: None, [*ours_argv, "--cache-clear"]),
        *[("warm", lambda: None, ours_argv)] * 3,
        ("changed", change_one_file, ours_argv),
    ]
    for _run in range(args.runs):
        times["raw"].append(timed(raw_argv, project, "raw"))
        expected = raw_findings(raw_json)
        for mode, prepare, argv in modes:
            if mode == "changed":
                prepare()
                times["raw"].append(timed(raw_argv, project, "raw"))
                expected = raw_findings(raw_json)
            times[mode].append(timed(argv, project, mode))
            check(mode)
    findings = len(expected)

    trivial = work / "trivial"
    trivial.mkdir()
    (trivial / "test_one.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    (trivial / "pytest.ini").write_text("[pytest]\n")
    off: dict[str, list[float]] = {"installed": [], "no:devsecops": []}
    base = [py, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    for _run in range(max(30, args.runs * 6)):  # a ~0.25 s run: noise needs many pairs
        off["installed"].append(timed(base, trivial, "installed"))
        off["no:devsecops"].append(timed([*base, "-p", "no:devsecops"], trivial, "off"))

    med = {name: statistics.median(values) for name, values in {**times, **off}.items()}
    raw = med["raw"]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}, CPython {platform.python_version()}, "
        f"bandit {_version(py, 'bandit')}, pytest {_version(py, 'pytest')}, "
        f"date {time.strftime('%Y-%m-%d')}"
    )
    plugins = subprocess.run(
        [py, "-c", PLUGINS], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"interpreter: {py}; pytest plugins installed: {plugins}")
    print(f"tree: django 5.2.8, {files} files, {lines} lines; {findings} findings (raw = ours)")
    cpu = {name: statistics.median(values) for name, values in CPU.items() if name}
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print("| run | wall median | wall ratio | CPU median | CPU ratio | wall runs (s) |")
    print("|---|---|---|---|---|---|")
    for name in ("raw", "cold", "warm", "changed"):
        runs = ", ".join(f"{v:.2f}" for v in times[name])
        print(
            f"| {name} | {med[name]:.2f} s | {med[name] / raw:.3f}x | {cpu[name]:.2f} s "
            f"| {cpu[name] / cpu['raw']:.3f}x | {runs} |"
        )
    ratio = med["installed"] / med["no:devsecops"]
    cpu_ratio = cpu["installed"] / cpu["off"]
    print(
        f"| trivial suite, installed but off | {med['installed']:.3f} s | {ratio:.3f}x of "
        f"-p no:devsecops ({med['no:devsecops']:.3f} s) | {cpu['installed']:.3f} s "
        f"| {cpu_ratio:.3f}x ({cpu['off']:.3f} s) | |"
    )
    shutil.rmtree(work, ignore_errors=True)


PLUGINS = (
    "from importlib.metadata import entry_points; "
    "print(', '.join(sorted(e.name for e in entry_points(group='pytest11'))))"
)


def _version(python: str, package: str) -> str:
    code = f"from importlib.metadata import version; print(version({package!r}))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


if __name__ == "__main__":
    main()
