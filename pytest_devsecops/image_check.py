"""What the `devsecops_image` fixture gives a test: an image scan whose findings are subtests.

Imported by the fixture in `fixtures.py` when a test uses it, never at start-up.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .core.finding import ScanResult
    from .late import LateFindings


@dataclasses.dataclass
class ImageCheck:
    """What `devsecops_image` gives a test: `check(image)` scans it, one subtest per finding."""

    config: pytest.Config
    default_image: str
    late: LateFindings
    subtests: Any
    result: ScanResult | None = None

    def check(self, image: str = "") -> ScanResult:
        """Scan `image` (default: the `container_image` marker's); each finding is a subtest
        (failed, or xfailed when accepted or below the gate); the test fails when the image
        could not be read or matched."""
        __tracebackhide__ = True
        from . import in_test, options_image
        from .core import sanitise
        from .core.fingerprint import assign
        from .scanners.image.scanner import ImageScanner

        wanted = image or self.default_image
        if not wanted:
            raise pytest.UsageError(
                "devsecops_image.check() needs an image: pass one, or mark the test with "
                '@pytest.mark.container_image("name:tag")'
            )
        settings = options_image.image_settings(self.config, images=(wanted,))
        workdir = Path(tempfile.mkdtemp(prefix="devsecops-image-"))
        started = time.monotonic()
        try:
            from .scanners.interface import ScanContext

            context = ScanContext(
                root=Path(self.config.rootpath),
                paths=(Path(self.config.rootpath),),
                excludes=(),
                timeout=_timeout(self.config),
                workdir=workdir,
            )
            result = ImageScanner(settings).scan(context)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        result = sanitise.result(result)  # the same redaction and escaping as every scanner
        result = dataclasses.replace(
            result,
            findings=tuple(assign(result.findings)),
            duration=time.monotonic() - started,
        )
        self.result = result
        in_test.report(self.late, self.subtests, result)
        return result


def _timeout(config: pytest.Config) -> float:
    try:
        return float(str(config.getini("devsecops_timeout")))
    except ValueError:
        return 600.0
