"""Built-in scanners are registered as stand-ins that build the real scanner on first use."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pytest_devsecops.core.finding import ScanResult
from pytest_devsecops.dast.target import TargetConfig
from pytest_devsecops.plugin import BuiltinScanners
from pytest_devsecops.scanners.image.config import ImageSettings
from pytest_devsecops.scanners.interface import ScanContext
from pytest_devsecops.scanners.lazy import LazyScanner
from pytest_devsecops.scanners.registry import ScannerRegistry
from pytest_devsecops.settings import Settings


def test_every_stand_in_has_its_scanners_name(pytester: pytest.Pytester) -> None:
    settings = Settings(
        root=pytester.path,
        commit_range="HEAD~1..HEAD",
        import_patterns=("*.sarif",),
        image=ImageSettings(images=("shop.tar",)),
        dast_target=TargetConfig(url="http://127.0.0.1:9"),
    )
    registry = ScannerRegistry()
    BuiltinScanners(settings).pytest_devsecops_register_scanners(
        config=pytester.parseconfigure(), registry=registry
    )
    assert len(registry.names) == 9
    for stand_in in registry.select(None):
        assert isinstance(stand_in, LazyScanner)
        # A wrong name would select one scanner and run another, or hide one from -k.
        assert stand_in.scanner.name == stand_in.name


@dataclasses.dataclass
class _Counting:
    name: str = "counting"
    reports_file_lines: bool = True
    scans: int = 0

    def scan(self, context: ScanContext) -> ScanResult:
        self.scans += 1
        return ScanResult(self.name, "tool", "1")


def test_the_real_scanner_is_built_once_and_only_when_used(tmp_path: Path) -> None:
    built: list[_Counting] = []

    def build() -> _Counting:
        built.append(_Counting())
        return built[-1]

    stand_in = LazyScanner("counting", build)
    assert built == []  # registering costs nothing
    context = ScanContext(root=tmp_path, paths=(), excludes=(), timeout=1.0, workdir=tmp_path)
    assert stand_in.scan(context).scanner == "counting"
    assert stand_in.scan(context).scanner == "counting"
    assert getattr(stand_in, "reports_file_lines", False) is True  # the scanner's own flags
    assert len(built) == 1
    assert built[0].scans == 2
    with pytest.raises(AttributeError):
        stand_in._private  # noqa: B018 - private names are never forwarded
