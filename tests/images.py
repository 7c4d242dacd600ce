"""Image tarballs and OSV records for the image scanner's tests, made without Docker."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

_BUILDER = Path(__file__).resolve().parent.parent / "example_project" / "image" / "build_image.py"


def builder() -> ModuleType:
    """The example's image builder (one implementation for the example and the tests)."""
    spec = importlib.util.spec_from_file_location("build_image", _BUILDER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def debian_image(path: Path, tag: str = "shop:1.0", extra: dict[str, str] | None = None) -> Path:
    build = builder()
    files = build.example_files()
    files.update(extra or {})
    return build.write_image(path, files, tag=tag)  # type: ignore[no-any-return]


def alpine_image(path: Path, tag: str = "edge:1.0") -> Path:
    build = builder()
    files = {
        "etc/alpine-release": "3.18.4\n",
        "etc/os-release": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\n',
        "lib/apk/db/installed": (
            "C:Q1abcdefghijklmnopqrstuvwxyz0123=\nP:libssl3\nV:3.1.3-r0\nA:x86_64\n"
            "o:openssl\nT:SSL shared libraries\n\n"
            "C:Q1bcdefghijklmnopqrstuvwxyz01234=\nP:busybox\nV:1.36.1-r2\nA:x86_64\n"
            "o:busybox\nT:Size optimized toolbox\n\n"
        ),
    }
    return build.write_image(path, files, tag=tag, user="app")  # type: ignore[no-any-return]


def record(
    ident: str,
    ecosystem: str,
    package: str,
    fixed: str,
    introduced: str = "0",
    severity: str = "",
    aliases: tuple[str, ...] = (),
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": ident,
        "modified": "2026-11-20T00:00:00Z",
        "aliases": list(aliases),
        "summary": f"{package} advisory {ident}",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": package},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": introduced}, {"fixed": fixed}]}
                ],
            }
        ],
    }
    if severity:
        data["database_specific"] = {"severity": severity}
    return data


def write_records(folder: Path, records: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for item in records:
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    return folder


MIXED_DATABASE = [
    # Debian 12: openssl before the fix (a `~deb12u` version), zlib with an epoch.
    record("DEB12-OPENSSL", "Debian:12", "openssl", "3.0.13-1~deb12u1", severity="HIGH"),
    record("DEB12-ZLIB", "Debian:12", "zlib", "1:1.2.13.dfsg-1+deb12u1", severity="CRITICAL"),
    # Fixed before what is installed: 3.0.11-1~deb12u1 < 3.0.11-1~deb12u2.
    record("DEB12-OLD", "Debian:12", "openssl", "3.0.11-1~deb12u1", severity="HIGH"),
    # Another release: its range covers the installed version, but it is not about Debian 12.
    record("DEB11-OPENSSL", "Debian:11", "openssl", "3.5.0-1", severity="HIGH"),
    record("ALPINE-OPENSSL", "Alpine:v3.18", "openssl", "3.1.4-r0", severity="MEDIUM"),
    record("PYSEC-TEST-1", "PyPI", "jinja2", "2.10.1", severity="HIGH"),
]
