"""The image scanner's settings (kept apart so reading them imports nothing heavy)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ...core.severity import Severity


@dataclasses.dataclass(frozen=True)
class ImageSettings:
    """Images to scan and where their advisories come from."""

    images: tuple[str, ...] = ()
    osv_dbs: tuple[Path, ...] = ()  # offline OSV databases (folders or all.zip); empty: online
    osv_url: str = ""  # OSV API endpoint (`…/v1/query` or `…/v1`); default osv.dev
    trivy: str = ""  # configured trivy binary; default: beside our interpreter, then PATH
    default_severity: Severity = Severity.HIGH
    request_timeout: float = 15.0
    config_file: str = ""  # where findings are located for SARIF when the image is not a file
