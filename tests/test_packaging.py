"""The sdist is a complete source tree: its tests, stand-ins, data and example project."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not (ROOT / "pyproject.toml").is_file(), reason="not a source checkout")
def test_the_sdist_holds_what_pytest_needs_to_run(tmp_path: Path) -> None:
    pytest.importorskip("build", reason="python -m build builds the sdist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if built.returncode != 0 and "Could not find a version" in built.stderr + built.stdout:
        pytest.skip("the build backend could not be installed (no package index)")
    assert built.returncode == 0, built.stderr[-2000:]
    (sdist,) = tmp_path.glob("pytest_devsecops-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in (
        "LICENSE",
        "pyproject.toml",
        ".devsecops-baseline.yml",
        "tests/conftest.py",
        "tests/standins/zap_api.py",
        "tests/apps/small_apps.py",
        "example_project/pyproject.toml",
        "example_project/shop/web.py",
        "pytest_devsecops/py.typed",
    ):
        assert needed in names, needed
    assert any(name.startswith("tests/data/") for name in names)
    assert any(name.startswith("example_project/advisories/") for name in names)
    assert not [name for name in names if "__pycache__" in name or ".pytest_cache" in name]
