"""Dependencies are read, never installed; whatever is not pinned is a named gap."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_devsecops.scanners.dependencies import sources


def deps(collected: sources.Collected) -> list[tuple[str, str, str, int]]:
    return [(d.name, d.version, d.path, d.line) for d in collected.dependencies]


def gaps(collected: sources.Collected) -> list[str]:
    return [f"{gap.target}: {gap.reason}" for gap in collected.gaps]


def test_requirements_with_hashes_comments_includes_and_markers(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("urllib3==1.26.9\n-r requirements.txt  # a cycle\n")
    (tmp_path / "requirements.txt").write_text(
        "# pinned\n"
        "--index-url https://example.invalid/simple\n"
        "jinja2==2.10  # templating\n"
        "requests==2.19.0 \\\n"
        "    --hash=sha256:0000 \\\n"
        "    --hash=sha256:1111\n"
        "pywin32===306 ; sys_platform == 'win32'\n"
        "-r base.txt\n"
        "-c constraints.txt\n"
    )
    collected = sources.collect([tmp_path / "requirements.txt"], tmp_path)
    assert deps(collected) == [
        ("jinja2", "2.10", "requirements.txt", 3),
        ("requests", "2.19.0", "requirements.txt", 4),
        ("pywin32", "306", "requirements.txt", 7),
        ("urllib3", "1.26.9", "base.txt", 1),
    ]
    assert gaps(collected) == []


def test_what_cannot_be_audited_is_named(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "flask>=2\nlib==1.*\n-e ./local\nblack @ git+https://example.invalid/black\n"
        "not a requirement!\n-r missing.txt\n"
    )
    found = gaps(sources.collect([tmp_path / "requirements.txt"], tmp_path))
    assert found == [
        "flask (requirements.txt:1): flask>=2 is not pinned; pin it with ==",
        "lib (requirements.txt:2): lib==1.* is not pinned; pin it with ==",
        "./local (requirements.txt:3): editable requirement has no version to audit",
        "black (requirements.txt:4): comes from a URL, not a version to audit",
        found[4],
        "requirements.txt:6: included file missing.txt does not exist",
    ]
    assert found[4].startswith("requirements.txt:5: unparseable requirement")


def test_pyproject_dependencies_and_pylock(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\ndependencies = [\n  "jinja2==2.10",\n  "click>=8",\n]\n'
    )
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "test"\n\n[[packages]]\nname = "pyyaml"\nversion = "5.1"\n\n'
        '[[packages]]\nname = "local-thing"\n[packages.directory]\npath = "./local"\n'
    )
    collected = sources.collect([tmp_path / "pyproject.toml", tmp_path / "pylock.toml"], tmp_path)
    assert deps(collected) == [
        ("jinja2", "2.10", "pyproject.toml", 5),
        ("pyyaml", "5.1", "pylock.toml", 5),
    ]
    assert gaps(collected) == [
        "click (pyproject.toml:6): click>=8 is not pinned; pin it with ==",
        "local-thing (pylock.toml:9): has no version (a VCS or path source)",
    ]


def test_a_missing_file_is_a_gap(tmp_path: Path) -> None:
    assert gaps(sources.collect([tmp_path / "nope.txt"], tmp_path)) == [
        "nope.txt: requirements file does not exist"
    ]


def test_the_environment_lists_installed_distributions() -> None:
    collected = sources.from_environment("pyproject.toml")
    names = {d.canonical: d for d in collected.dependencies}
    assert names["pytest"].version == pytest.__version__
    assert names["pytest"].path == "pyproject.toml"
